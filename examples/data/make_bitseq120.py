"""Writes the data of examples/bitseq120.gfn, the bit-sequence task of Malkin et al. (2022)
as torchgfn's BitSequence environment and the gfnx code of Tiapkin et al. (2024) set it up:
n = 120 bits written as 15 words of k = 8 bits, 60 mode strings each made of 15 blocks drawn
uniformly (repeats of a whole mode redrawn) from 5 fixed 8-bit block words.

- bitseq120_blocks.csv: the 5 block words, one row of 8 bits each.
- bitseq120_modes.csv: the 60 modes, one row of 15 block indices (0..5) each.
- bitseq120_block_distance.csv: 256 rows of 5: the Hamming distance between word w (its
  bits most significant first, as torchgfn reads a word) and each block word.
- bitseq120_test.txt: the test set, one state per line in gfnc's format (`s=[w0, ..., w14]`),
  for `gfnc run --test-set`: as in gfnx, each mode, then for c = 1..119 the mode with c
  distinct random bits flipped (60 x 120 = 7,200 strings).

Seeded: running it again gives the same files. Run from examples/data."""
import random

N, K, N_MODES = 120, 8, 60
BLOCKS = [
    [0, 0, 0, 0, 0, 0, 0, 0],
    [1, 1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 0, 0, 0, 0],
    [0, 0, 0, 0, 1, 1, 1, 1],
    [0, 0, 1, 1, 1, 1, 0, 0],
]
WORDS = N // K


def word_bits(w):
    return [(w >> (K - 1 - t)) & 1 for t in range(K)]


def words_of(bits):
    return [int("".join(map(str, bits[j * K:(j + 1) * K])), 2) for j in range(WORDS)]


rng = random.Random(120)
modes = []
while len(modes) < N_MODES:
    candidate = [rng.randrange(len(BLOCKS)) for _ in range(WORDS)]
    if candidate not in modes:
        modes.append(candidate)


def write(name, rows):
    with open(name, "w") as out:
        for row in rows:
            out.write(",".join(str(v) for v in row) + "\n")


write("bitseq120_blocks.csv", BLOCKS)
write("bitseq120_modes.csv", modes)
write(
    "bitseq120_block_distance.csv",
    [[sum(a != b for a, b in zip(word_bits(w), block)) for block in BLOCKS] for w in range(2**K)],
)
with open("bitseq120_test.txt", "w") as out:
    for mode in modes:
        bits = [b for j in mode for b in BLOCKS[j]]
        for flips in range(N):
            changed = list(bits)
            for i in rng.sample(range(N), flips):
                changed[i] = 1 - changed[i]
            out.write("s=[" + ", ".join(map(str, words_of(changed))) + "]\n")
