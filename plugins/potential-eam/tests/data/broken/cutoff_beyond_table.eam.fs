Tiny two-element eam/fs file used to derive broken variants
Each variant breaks one rule; expected.txt says which error it must produce
#
2 Cu Zr
5 0.5 5 1.0 9.0
29 63.546 3.6 fcc
0 -1 -2 -3 -4
1 0.5 0.25 0.125 0
1.5 0.7 0.3 0.1 0
40 91.224 3.2 hcp
0 -1.5 -2.5 -3.5 -4.5
2 1 0.5 0.2 0
2.5 1.2 0.6 0.2 0
9 4 1 0.5 0
8 3 1 0.4 0
7 2 1 0.3 0
