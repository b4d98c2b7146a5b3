cat submit.sh
