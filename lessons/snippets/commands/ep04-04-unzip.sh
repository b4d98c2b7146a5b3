python -m zipfile -l python-3*.conda
python -m zipfile -e python-3*.conda python-pkg
cd python-pkg
cat metadata.json
