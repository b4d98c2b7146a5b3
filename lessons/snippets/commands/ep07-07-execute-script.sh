cat mnist.sh
bash -n mnist.sh && echo "mnist.sh: syntax OK"
