using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Marketing.Sdk.Profiles;

/// <summary>
/// A purpose-built hash table from identity (kind, ordinal value) to a dense index 0, 1, 2, … in
/// order of first insertion, with one integer payload per entry. Each identity has a 32-bit tag:
/// the kind in the top four bits and 28 bits of the value's hash below. The slots are one flat
/// array (open addressing, linear probing, 4 bytes each: the entry index + 1 in the low log2(slot
/// count) bits and a fingerprint of the tag in the bits above, so a probe rarely touches an entry
/// that does not match); the entries (value, kind, payload) are in insertion order in pages of
/// 65 536, so growing never copies them (the first page starts at the expected size, so small
/// tables stay small). Strings are compared only when the fingerprint and the kind match; growing
/// re-places the slots in index order, hashing each value again (cheaper than keeping every tag:
/// a table sized from its expected count never grows, and 4 bytes less per entry is less fresh
/// memory to fault in).
/// Identities that arrive close together in time sit close together in the entry array, so the
/// follow-up reads of a just-found entry (its payload) stay in cache. Values are hashed with a
/// keyed multiply-fold hash over their UTF-16 code units (the wyhash construction: 128-bit products
/// folded to 64 bits, 16 bytes per step) whose two 64-bit keys are drawn at random per process, so
/// colliding identity values cannot be prepared in advance. Entries are never removed.
/// <para>
/// A large slot array does not fit in cache, so placing a new identity in it costs a wait for
/// memory. New identities therefore go first into a small pending table that stays in cache, and
/// are moved into the slot array in groups (<see cref="PendingMax"/>): all slots of a group are
/// requested first (prefetch instructions), then filled, so that those memory waits overlap. A lookup probes the pending table first
/// and then the slot array, except when a compact filter of the tags (a blocked Bloom filter, 4
/// bits per slot, two bits per tag) says the identity was never added: most lookups of a new
/// identity never touch the slot array at all.
/// </para>
/// Not thread-safe.
/// </summary>
internal sealed class IdentityTable
{
    private const int KindBits = 4;
    private const uint HashMask = (1u << (32 - KindBits)) - 1;
    private const int MinSlots = 8;

    private const int PageBits = 16;
    private const int PageSize = 1 << PageBits;

    // Pending identities moved into the slot array together; the pending table has twice as many
    // slots (load factor at most 1/2), 8 KiB.
    private const int PendingMax = 512;
    private const int PendingBits = 10;

    // Filter words (64 bits) per slot: 4 bits per slot.
    private const int SlotsPerFilterWord = 16;

    // The slot array: 0 is empty, otherwise the entry index + 1 in the low log2(slot count) bits and
    // a fingerprint (the scrambled tag's bits below the bucket bits) above; see Place.
    private uint[] _slots;
    // Entries in pages of 65 536 allocated as needed (the first one may be smaller and doubles up
    // to a full page): growing never copies more than the first page. An entry is its value, kind
    // and payload, each in its own page array (13 bytes an entry, and the payloads — the parent
    // pointers of union-find — packed densely).
    private string[][] _values;
    private byte[][] _kinds;
    private int[][] _payloads;
    private int _shift;    // 32 - log2(slot count): the bucket is the top bits of the scrambled tag
    private int _indexBits; // log2(slot count)
    private int _limit;    // grow the slots when Count reaches this (load factor 3/4)

    // Identities added since the last move into the slot array: their slots (a small open-addressing
    // table of the same layout, allocated on the first add) and the same slots in order of addition.
    private Slot[]? _pendingSlots;
    private Slot[]? _pending;
    private int _pendingCount;

    // The filter: for every tag in the table (slot array or pending), two bits of one word are set.
    private ulong[] _filter;
    private int _filterShift; // 32 - log2(filter words)

    /// <summary>Creates a table sized for <paramref name="capacity"/> entries without growing.</summary>
    /// <param name="capacity">Expected number of entries.</param>
    public IdentityTable(int capacity = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        var slots = MinSlots;
        while (slots - (slots >> 2) < capacity)
        {
            slots <<= 1;
            if (slots <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The capacity is too large.");
            }
        }
        _slots = new uint[slots];
        var pages = Math.Max(1, (capacity + PageSize - 1) >> PageBits);
        var first = Math.Clamp(capacity, 4, PageSize);
        _values = new string[pages][];
        _kinds = new byte[pages][];
        _payloads = new int[pages][];
        _values[0] = new string[first];
        _kinds[0] = new byte[first];
        _payloads[0] = new int[first];
        SetSize(slots);
        _filter = NewFilter(slots, out _filterShift);
    }

    /// <summary>Number of entries.</summary>
    public int Count { get; private set; }

    /// <summary>Whether (kind, value) is in the table, and its index.</summary>
    public bool TryGetIndex(IdentityKind kind, string value, out int index)
    {
        var tag = Tag(kind, value);
        index = Find(tag, value);
        return index >= 0;
    }

    /// <summary>
    /// The index of (kind, value), adding it with the next index (<see cref="Count"/>) and payload
    /// <paramref name="payload"/> when absent.
    /// </summary>
    /// <param name="kind">The kind (1–15).</param>
    /// <param name="value">The value (compared ordinally).</param>
    /// <param name="payload">The payload of a new entry.</param>
    /// <param name="added">Whether it was added.</param>
    public int GetOrAdd(IdentityKind kind, string value, int payload, out bool added) =>
        GetOrAddTagged(Tag(kind, value), value, payload, out added);

    /// <summary>The same as <see cref="GetOrAdd(IdentityKind, string, int, out bool)"/> with a tag from <see cref="TryTag"/>.</summary>
    public int GetOrAddTagged(uint tag, string value, int payload, out bool added)
    {
        var found = Find(tag, value);
        if (found >= 0)
        {
            added = false;
            return found;
        }
        added = true;
        return Add(tag, value, payload);
    }

    /// <summary>The index of the entry with this tag and value, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Find(uint tag, string value)
    {
        if (_pendingCount != 0)
        {
            var pending = _pendingSlots!;
            for (var i = (int)((tag * 0x9E3779B9u) >> (32 - PendingBits)); ; i = (i + 1) & ((1 << PendingBits) - 1))
            {
                var slot = pending[i];
                if (slot.Tag == tag && string.Equals(ValueAt(slot.Index), value))
                {
                    return slot.Index;
                }
                if (slot.Tag == 0)
                {
                    break;
                }
            }
        }
        return MayContain(tag) ? FindInSlots(tag, value) : -1;
    }

    private int FindInSlots(uint tag, string value)
    {
        var slots = _slots;
        var mask = slots.Length - 1;
        var bits = _indexBits;
        var scrambled = tag * 0x9E3779B9u;
        var fingerprint = scrambled & ~(uint.MaxValue << _shift); // the low 32 - bits bits
        for (var i = (int)(scrambled >> _shift); ; i = (i + 1) & mask)
        {
            var slot = slots[i];
            if (slot == 0)
            {
                return -1;
            }
            if (slot >> bits == fingerprint)
            {
                var index = (int)(slot & ~(uint.MaxValue << bits)) - 1;
                if (KindAt(index) == (byte)(tag >> (32 - KindBits)) && string.Equals(ValueAt(index), value))
                {
                    return index;
                }
            }
        }
    }

    /// <summary>Adds an entry known to be absent; returns its index.</summary>
    private int Add(uint tag, string value, int payload)
    {
        var index = Count;
        if (index >= _limit)
        {
            MovePending();
            GrowSlots();
        }
        var page = index >> PageBits;
        if (page >= _payloads.Length || _payloads[page] is not { } entries || (index & (PageSize - 1)) >= entries.Length)
        {
            AddRoom(page);
        }
        var at = index & (PageSize - 1);
        _values[page][at] = value;
        _kinds[page][at] = (byte)(tag >> (32 - KindBits));
        _payloads[page][at] = payload;
        var pendingSlots = _pendingSlots ??= new Slot[1 << PendingBits];
        var pending = _pending ??= new Slot[PendingMax];
        var i = (int)((tag * 0x9E3779B9u) >> (32 - PendingBits));
        while (pendingSlots[i].Tag != 0)
        {
            i = (i + 1) & ((1 << PendingBits) - 1);
        }
        pendingSlots[i] = pending[_pendingCount] = new Slot(tag, index);
        SetFilter(_filter, _filterShift, tag);
        Count = index + 1;
        if (++_pendingCount == PendingMax)
        {
            MovePending();
        }
        return index;
    }

    /// <summary>
    /// Moves the pending identities into the slot array: first all their slots are requested (the
    /// memory waits overlap), then they are placed.
    /// </summary>
    private unsafe void MovePending()
    {
        var count = _pendingCount;
        if (count == 0)
        {
            return;
        }
        var pending = _pending!;
        var slots = _slots;
        if (Sse.IsSupported)
        {
            ref var first = ref MemoryMarshal.GetArrayDataReference(slots);
            for (var k = 0; k < count; k++)
            {
                // A stale address after the GC moved the array only costs a useless prefetch.
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref first, Bucket(pending[k].Tag))));
            }
        }
        for (var k = 0; k < count; k++)
        {
            Place(slots, pending[k].Tag, pending[k].Index);
        }
        Array.Clear(_pendingSlots!);
        _pendingCount = 0;
    }

    /// <summary>The identity of entry <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>).</summary>
    public Identity this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return new Identity((IdentityKind)KindAt(index), ValueAt(index));
        }
    }

    /// <summary>The payload of entry <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref int Payload(int index) => ref _payloads[index >> PageBits][index & (PageSize - 1)];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private string ValueAt(int index) => _values[index >> PageBits][index & (PageSize - 1)];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte KindAt(int index) => _kinds[index >> PageBits][index & (PageSize - 1)];

    private void AddRoom(int page)
    {
        if (page == _payloads.Length)
        {
            Array.Resize(ref _values, page * 2);
            Array.Resize(ref _kinds, page * 2);
            Array.Resize(ref _payloads, page * 2);
        }
        if (_payloads[page] is null)
        {
            _values[page] = new string[PageSize];
            _kinds[page] = new byte[PageSize];
            _payloads[page] = new int[PageSize];
        }
        else
        {
            // Only the first page can be short.
            var size = Math.Min(PageSize, _payloads[page].Length * 2);
            Array.Resize(ref _values[page], size);
            Array.Resize(ref _kinds[page], size);
            Array.Resize(ref _payloads[page], size);
        }
    }

    /// <summary>The tag of (kind, value), or <see langword="false"/> when the kind is out of range or the value is null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryTag(IdentityKind kind, string? value, out uint tag)
    {
        var k = (uint)kind;
        if (k - 1 >= (1u << KindBits) - 1 || value is null)
        {
            tag = 0;
            return false;
        }
        tag = (k << (32 - KindBits)) | ((uint)Hash(value) & HashMask);
        return true;
    }

    /// <summary>
    /// Asks the processor to bring the filter word a lookup of <paramref name="tag"/> reads first
    /// into cache, so that a batch can have the memory waits of its coming lookups overlap. A prefetch
    /// instruction where the processor has one (it neither waits nor faults); elsewhere a read
    /// whose value means nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe uint Prefetch(uint tag)
    {
        ref var word = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_filter), FilterWord(tag, _filterShift));
        if (Sse.IsSupported)
        {
            // A stale address after the GC moved the array only costs a useless prefetch.
            Sse.Prefetch0(Unsafe.AsPointer(ref word));
            return 0;
        }
        return (uint)word;
    }

    /// <summary>
    /// The tag of (kind, value): kind in the top bits, so it is never 0 for a valid kind and two
    /// kinds never share a tag; two equal tags still need the strings compared.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Tag(IdentityKind kind, string value)
    {
        var k = (uint)kind;
        if (k - 1 >= (1u << KindBits) - 1)
        {
            ThrowKind(kind);
        }
        ArgumentNullException.ThrowIfNull(value);
        return (k << (32 - KindBits)) | ((uint)Hash(value) & HashMask);
    }

    private static readonly ulong Key0 = NewKey();
    private static readonly ulong Key1 = NewKey();

    private static ulong NewKey()
    {
        Span<byte> bytes = stackalloc byte[8];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes) | 1;
    }

    /// <summary>The keyed hash of a string's UTF-16 code units (any length; 16 bytes per multiply).</summary>
    internal static ulong Hash(ReadOnlySpan<char> value)
    {
        // Unaligned reads straight from the characters: every read below stays inside the
        // value's n bytes (the loop leaves 1–16 bytes, read as one or two overlapping words).
        ref var start = ref Unsafe.As<char, byte>(ref MemoryMarshal.GetReference(value));
        var n = (nuint)value.Length * 2;
        var seed = Key0 ^ ((ulong)n * 0x9E3779B97F4A7C15UL);
        nuint i = 0;
        for (; n - i > 16; i += 16)
        {
            seed = Fold(Read64(ref start, i) ^ Key1, Read64(ref start, i + 8) ^ seed);
        }
        ulong a, b;
        var rest = n - i;
        if (rest >= 8)
        {
            // 8–16 bytes left: two reads that overlap when fewer than 16 remain.
            a = Read64(ref start, i);
            b = Read64(ref start, n - 8);
        }
        else if (rest >= 4)
        {
            a = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i));
            b = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, n - 4));
        }
        else if (rest > 0)
        {
            // Two bytes (one code unit), as UTF-16 has an even byte count.
            a = Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, i));
            b = 0;
        }
        else
        {
            a = b = 0;
        }
        return Fold(Fold(a ^ Key1, b ^ seed) ^ Key0, n ^ Key1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Read64(ref byte start, nuint at) => Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, at));

    /// <summary>The 128-bit product of two words folded to 64 bits (high xor low).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Fold(ulong x, ulong y)
    {
        var high = Math.BigMul(x, y, out var low);
        return high ^ low;
    }

    /// <summary>Fibonacci hashing of the whole tag (kind and hash bits), taking the top bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Bucket(uint tag) => (int)((tag * 0x9E3779B9u) >> _shift);

    /// <summary>Puts entry <paramref name="index"/> with <paramref name="tag"/> into the first free slot of its probe sequence.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Place(uint[] slots, uint tag, int index)
    {
        var scrambled = tag * 0x9E3779B9u;
        var mask = slots.Length - 1;
        var i = (int)(scrambled >> _shift);
        while (slots[i] != 0)
        {
            i = (i + 1) & mask;
        }
        // index + 1 < slot count (load factor below 1), so it fits below the fingerprint.
        slots[i] = ((scrambled & ~(uint.MaxValue << _shift)) << _indexBits) | (uint)(index + 1);
    }

    private void SetSize(int slots)
    {
        _indexBits = System.Numerics.BitOperations.Log2((uint)slots);
        _shift = 32 - _indexBits;
        _limit = slots - (slots >> 2);
    }

    private void GrowSlots()
    {
        var old = _slots;
        var size = old.Length * 2;
        if (size <= 0)
        {
            throw new InvalidOperationException("The identity table cannot grow further.");
        }
        var slots = new uint[size];
        SetSize(size);
        var filter = NewFilter(size, out var filterShift);
        // Re-placed in index order, each tag computed again from the entry's kind and value.
        for (var index = 0; index < Count; index++)
        {
            var tag = Tag((IdentityKind)KindAt(index), ValueAt(index));
            SetFilter(filter, filterShift, tag);
            Place(slots, tag, index);
        }
        _slots = slots;
        _filter = filter;
        _filterShift = filterShift;
    }

    private static ulong[] NewFilter(int slots, out int shift)
    {
        var words = Math.Max(1, slots / SlotsPerFilterWord);
        shift = 32 - System.Numerics.BitOperations.Log2((uint)words);
        return new ulong[words];
    }

    /// <summary>Whether the filter allows that an entry with this tag exists (never false when one does).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool MayContain(uint tag)
    {
        var mask = FilterBits(tag);
        return (Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_filter), FilterWord(tag, _filterShift)) & mask) == mask;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetFilter(ulong[] filter, int shift, uint tag) =>
        filter[FilterWord(tag, shift)] |= FilterBits(tag);

    // The word from one scramble of the tag, the two bits from another; a shift of 32 (one word) gives word 0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int FilterWord(uint tag, int shift) => (int)((ulong)(tag * 0x85EBCA77u) >> shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong FilterBits(uint tag)
    {
        var h = tag * 0xC2B2AE3Du;
        return (1UL << (int)(h >> 26)) | (1UL << (int)((h >> 20) & 63));
    }

    private static void ThrowKind(IdentityKind kind) =>
        throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a defined identity kind.");

    private readonly record struct Slot(uint Tag, int Index);
}
