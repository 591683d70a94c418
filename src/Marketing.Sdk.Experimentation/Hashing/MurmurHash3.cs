using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Marketing.Sdk.Experimentation.Hashing;

/// <summary>
/// MurmurHash3 x86 32-bit (Austin Appleby, SMHasher, public domain): a fast, well-mixed,
/// platform-independent hash. Bucketing uses it over the UTF-8 bytes of (salt, unit id), so the same
/// unit lands in the same bucket in every process and on every machine.
/// </summary>
internal static class MurmurHash3
{
    private const uint C1 = 0xcc9e2d51;
    private const uint C2 = 0x1b873593;
    private const int StackLimit = 256;

    /// <summary>Hashes bytes with a seed.</summary>
    public static uint Hash32(ReadOnlySpan<byte> data, uint seed)
    {
        var h1 = seed;
        var blocks = data.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k1 = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            k1 *= C1;
            k1 = BitOperations.RotateLeft(k1, 15);
            k1 *= C2;
            h1 ^= k1;
            h1 = BitOperations.RotateLeft(h1, 13);
            h1 = h1 * 5 + 0xe6546b64;
        }
        var tail = data[(blocks * 4)..];
        uint k = 0;
        switch (tail.Length)
        {
            case 3:
                k ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                k ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                k ^= tail[0];
                k *= C1;
                k = BitOperations.RotateLeft(k, 15);
                k *= C2;
                h1 ^= k;
                break;
        }
        h1 ^= (uint)data.Length;
        return FMix(h1);
    }

    /// <summary>Hashes the UTF-8 bytes of <c>salt</c>, a 0x1F separator and <c>unitId</c>, without heap allocation for short inputs.</summary>
    public static uint Hash32(string salt, string unitId, uint seed)
    {
        var max = Encoding.UTF8.GetMaxByteCount(salt.Length + unitId.Length) + 1;
        byte[]? rented = null;
        var buffer = max <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var written = Encoding.UTF8.GetBytes(salt, buffer);
            buffer[written++] = 0x1F;
            written += Encoding.UTF8.GetBytes(unitId, buffer[written..]);
            return Hash32(buffer[..written], seed);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>A point in [0, 1) from the hash: h / 2³².</summary>
    public static double UnitInterval(string salt, string unitId, uint seed) =>
        Hash32(salt, unitId, seed) / 4294967296.0;

    private static uint FMix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }
}
