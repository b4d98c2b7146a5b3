minipixi workspace export slurm --environment cpu --name sweep --queue 10 --time 00:10:00 --run "python src/check_gpu.py"
grep "^#SBATCH" sweep.sbatch
