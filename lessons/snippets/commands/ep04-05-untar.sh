mkdir info pkg
tar --zstd -xf info-*.tar.zst -C info
tar --zstd -xf pkg-*.tar.zst -C pkg
ls info/info
find pkg -maxdepth 2 | sort
