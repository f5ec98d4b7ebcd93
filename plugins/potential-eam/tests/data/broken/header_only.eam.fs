Tiny two-element eam/fs file used to derive broken variants
Each variant breaks one rule; expected.txt says which error it must produce
#
