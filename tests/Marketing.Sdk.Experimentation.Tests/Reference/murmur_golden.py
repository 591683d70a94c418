"""Golden bucketing vectors from an independent pure-Python MurmurHash3 x86-32 (Appleby's reference
algorithm) and the documented bucketing rule: u = murmur3_32(utf8(salt) + 0x1F + utf8(unit), seed) / 2^32,
variant = first i with u < cumulative_weight[i] / total."""

def murmur3_32(data: bytes, seed: int) -> int:
    c1, c2 = 0xcc9e2d51, 0x1b873593
    h = seed & 0xffffffff
    n = len(data) // 4
    rotl = lambda x, r: ((x << r) | (x >> (32 - r))) & 0xffffffff
    for i in range(n):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * c1) & 0xffffffff; k = rotl(k, 15); k = (k * c2) & 0xffffffff
        h ^= k; h = rotl(h, 13); h = (h * 5 + 0xe6546b64) & 0xffffffff
    tail = data[4 * n:]; k = 0
    if len(tail) >= 3: k ^= tail[2] << 16
    if len(tail) >= 2: k ^= tail[1] << 8
    if len(tail) >= 1:
        k ^= tail[0]; k = (k * c1) & 0xffffffff; k = rotl(k, 15); k = (k * c2) & 0xffffffff; h ^= k
    h ^= len(data)
    h ^= h >> 16; h = (h * 0x85ebca6b) & 0xffffffff; h ^= h >> 13; h = (h * 0xc2b2ae35) & 0xffffffff; h ^= h >> 16
    return h

assert murmur3_32(b"", 1) == 0x514E28B7
assert murmur3_32(b"Hello, world!", 0x9747b28c) == 0x24884CBA

def variant(salt, unit, weights, keys):
    u = murmur3_32(salt.encode() + b"\x1f" + unit.encode(), 0) / 2**32
    total = sum(weights); acc = 0
    for w, k in zip(weights, keys):
        acc += w
        if u < acc / total:
            return k, u
    return keys[-1], u

for unit in ["user-1", "user-2", "user-3", "member:10086", "设备-42", "", "x" * 300]:
    k, u = variant("welcome_email_subject", unit, [50, 30, 20], ["control", "emoji", "question"])
    print(repr(unit), k, repr(u))
