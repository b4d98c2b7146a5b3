minipixi workspace export slurm --environment gpu --name mnist \
    --gpus 1 --cpus 4 --memory 16GB --time 02:00:00 \
    --partition "<partition>" --account "<account>" --constraint "<constraint>" \
    --run "python src/torch_MNIST.py --data-dir data --epochs 14 --save-model"
cat mnist.sbatch
bash -n mnist.sbatch && echo "mnist.sbatch: syntax OK"
