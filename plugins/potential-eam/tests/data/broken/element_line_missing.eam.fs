Tiny two-element eam/fs file used to derive broken variants
Each variant breaks one rule; expected.txt says which error it must produce
#
2 Cu Zr
5 0.5 5 1.0 4.0
