minipixi workspace export htcondor --environment gpu --name mnist \
    --cuda 12 --gpus 1 --cpus 1 --memory 2GB --disk 2GB \
    --input MNIST_data.tar.gz --input src --output-file mnist_cnn.pt \
    --image "docker://ghcr.io/<user>/<repository>:sha-<commit>" \
    --run "python src/torch_MNIST.py --data-dir data --epochs 14 --save-model"
ls
