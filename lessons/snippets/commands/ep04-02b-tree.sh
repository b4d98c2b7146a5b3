minipixi global install tree
export PATH="$HOME/.minipixi/bin:$PATH"
tree -L 2 .pixi/envs/default
