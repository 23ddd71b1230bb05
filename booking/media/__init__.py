"""Pictures of premises: a small store for their files (put/get/delete by key) and
Pillow's decoding, resizing and re-encoding of what staff upload."""
