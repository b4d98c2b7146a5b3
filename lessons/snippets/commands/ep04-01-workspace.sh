minipixi init dir-structure
cd dir-structure
ls -A
