"""One module per MCU family the twin can be besides the F4/F7 (variants.py): its variants and flash controller."""
