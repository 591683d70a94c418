using System.Text;

namespace Marketing.Sdk.Recommendations;

/// <summary>
/// The compact binary form of a <see cref="RecommendationModel"/>: every fitted array of the SAR,
/// content and popularity models written as it is held in memory (doubles bit for bit, ids once per
/// id map), so a loaded model ranks exactly as the trained one. Little-endian, length-prefixed; the
/// reader treats its input as hostile: every length is checked against the bytes left, every index
/// against the map it points into, and any failure is a <see cref="RecommendationException"/> with
/// <see cref="RecommendationErrorReason.ModelCorrupt"/> naming the part that failed.
/// </summary>
internal static class ModelSerializer
{
    private const uint Magic = 0x4D52534D; // "MSRM"
    private const ushort FormatVersion = 1;

    public static byte[] Serialize(RecommendationModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            WriteTime(w, model.TrainedAt);
            WriteOptionalTime(w, model.DataFrom);
            WriteOptionalTime(w, model.DataTo);
            var hybrid = model.Hybrid;
            w.Write(hybrid.CandidatePoolSize);
            w.Write(hybrid.Weights.CoOccurrence);
            w.Write(hybrid.Weights.Content);
            w.Write(hybrid.Weights.Popularity);
            w.Write(model.SegmentOf is not null);
            WriteContent(w, model.ContentModel);
            w.Write(hybrid.Sar is not null);
            if (hybrid.Sar is { } sar)
            {
                WriteSar(w, sar);
            }
            var history = hybrid.Content?.History;
            byte historyKind = history is null ? (byte)0 : ReferenceEquals(history, hybrid.Sar?.Matrix) ? (byte)1 : (byte)2;
            w.Write(historyKind);
            if (historyKind == 2)
            {
                WriteMatrix(w, history!);
            }
            w.Write(hybrid.Popularity is not null);
            if (hybrid.Popularity is { } pop)
            {
                WritePopularity(w, pop);
            }
        }
        return stream.ToArray();
    }

    public static RecommendationModel Deserialize(ReadOnlyMemory<byte> data)
    {
        var r = new Reader(data);
        var part = "header";
        try
        {
            if (r.UInt32() != Magic)
            {
                throw Corrupt("header", "The data is not a stored recommendation model.");
            }
            if (r.UInt16() != FormatVersion)
            {
                throw Corrupt("header", "The model was written in a format this version does not read.");
            }
            var trainedAt = r.Time();
            var dataFrom = r.OptionalTime();
            var dataTo = r.OptionalTime();
            var pool = r.Int32();
            var weights = new HybridWeights { CoOccurrence = r.Double(), Content = r.Double(), Popularity = r.Double() };
            var hadSegments = r.Bool();
            part = "content";
            var content = ReadContent(r);
            part = "sar";
            var sar = r.Bool() ? ReadSar(r) : null;
            part = "history";
            var historyKind = r.Byte();
            var history = historyKind switch
            {
                0 => null,
                1 => sar?.Matrix ?? throw Corrupt(part, "The content history refers to a missing item-item model."),
                2 => ReadMatrix(r),
                _ => throw Corrupt(part, "Unknown history kind."),
            };
            part = "popularity";
            PopularityModel? popularity = null;
            Func<string, string?>? segmentOf = null;
            if (r.Bool())
            {
                popularity = ReadPopularity(r, hadSegments, out segmentOf);
            }
            if (!r.AtEnd)
            {
                throw Corrupt("trailer", "Unexpected bytes after the model.");
            }
            part = "hybrid";
            var hybrid = new HybridModel(sar, history is null ? null : new ContentRecommender(content, history), popularity, weights, pool);
            return RecommendationModel.Restore(hybrid, trainedAt, segmentOf, content, dataFrom, dataTo);
        }
        catch (RecommendationException)
        {
            throw;
        }
        catch (Exception ex) when (ex is EndOfStreamException or ArgumentException or OverflowException or IndexOutOfRangeException or FormatException or DecoderFallbackException or MarketingValidationException or InvalidOperationException)
        {
            throw Corrupt(part, "The stored model could not be read (" + ex.GetType().Name + ").");
        }
    }

    private static RecommendationException Corrupt(string part, string message) =>
        new(RecommendationErrorReason.ModelCorrupt, "Stored model, part '" + part + "': " + message);

    // ---- writing ----

    private static void WriteTime(BinaryWriter w, DateTimeOffset t)
    {
        w.Write(t.UtcTicks);
        w.Write((short)t.Offset.TotalMinutes);
    }

    private static void WriteSpan(BinaryWriter w, TimeSpan? t)
    {
        w.Write(t.HasValue);
        if (t.HasValue)
        {
            w.Write(t.Value.Ticks);
        }
    }

    private static void WriteOptionalTime(BinaryWriter w, DateTimeOffset? t)
    {
        w.Write(t.HasValue);
        if (t.HasValue)
        {
            WriteTime(w, t.Value);
        }
    }

    private static void WriteNullable(BinaryWriter w, string? s)
    {
        w.Write(s is not null);
        if (s is not null)
        {
            w.Write(s);
        }
    }

    private static void WriteStrings(BinaryWriter w, IReadOnlyList<string> ids)
    {
        w.Write(ids.Count);
        foreach (var id in ids)
        {
            w.Write(id);
        }
    }

    private static void WriteInts(BinaryWriter w, int[] a)
    {
        w.Write(a.Length);
        foreach (var x in a)
        {
            w.Write(x);
        }
    }

    private static void WriteDoubles(BinaryWriter w, double[] a)
    {
        w.Write(a.Length);
        foreach (var x in a)
        {
            w.Write(x);
        }
    }

    private static void WriteMatrix(BinaryWriter w, InteractionMatrix m)
    {
        WriteStrings(w, m.Users.Ids);
        WriteStrings(w, m.Items.Ids);
        WriteTime(w, m.ReferenceTime);
        WriteSpan(w, m.HalfLife);
        for (var u = 0; u < m.UserCount; u++)
        {
            WriteInts(w, m.UserItems[u]);
            foreach (var a in m.Affinity[u])
            {
                w.Write(a);
            }
            w.Write(m.Kinds[u]);
        }
    }

    private static void WriteContent(BinaryWriter w, ContentModel c)
    {
        var o = c.Options;
        w.Write(o.TitleWeight);
        w.Write(o.CategoryWeight);
        w.Write(o.BrandWeight);
        w.Write(o.TagWeight);
        w.Write(o.PriceBandWeight);
        w.Write(o.PriceBands);
        w.Write(c.Products.Count);
        foreach (var p in c.Products.Values)
        {
            w.Write(p.ProductId);
            w.Write(p.Title);
            w.Write(p.Price.Amount);
            w.Write(p.Price.Currency);
            WriteNullable(w, p.Category);
            WriteNullable(w, p.Brand);
            WriteStrings(w, p.Tags);
            w.Write(p.StockQuantity.HasValue);
            w.Write(p.StockQuantity ?? 0);
            w.Write(p.Margin.HasValue);
            w.Write(p.Margin ?? 0m);
            w.Write(p.IsActive);
        }
        w.Write(c.Prices.Bands);
        w.Write(c.Prices.Percentiles.Count);
        foreach (var (id, pct) in c.Prices.Percentiles)
        {
            w.Write(id);
            w.Write(pct);
        }
        WriteStrings(w, c.Items.Ids);
        WriteStrings(w, c.TermTable);
        for (var i = 0; i < c.ItemCount; i++)
        {
            WriteInts(w, c.ItemTerms[i]);
            foreach (var x in c.ItemWeights[i])
            {
                w.Write(x);
            }
        }
    }

    private static void WriteSar(BinaryWriter w, SarModel s)
    {
        var o = s.Options;
        w.Write((int)o.Similarity);
        WriteSpan(w, o.HalfLife);
        WriteOptionalTime(w, o.ReferenceTime);
        w.Write(o.SupportThreshold);
        w.Write(o.MaxNeighbours);
        w.Write(o.MaxDegreeOfParallelism);
        WriteMatrix(w, s.Matrix);
        WriteInts(w, s.Diagonal);
        for (var i = 0; i < s.ItemCount; i++)
        {
            WriteInts(w, s.CoCols[i]);
            foreach (var x in s.CoCounts[i])
            {
                w.Write(x);
            }
            WriteInts(w, s.NeighbourCols[i]);
            foreach (var x in s.NeighbourSims[i])
            {
                w.Write(x);
            }
        }
    }

    private static void WritePopularity(BinaryWriter w, PopularityModel p)
    {
        var o = p.Options;
        w.Write((int)o.Measure);
        WriteSpan(w, o.HalfLife);
        WriteOptionalTime(w, o.ReferenceTime);
        WriteMatrix(w, p.Matrix);
        w.Write(p.Scores.Count);
        foreach (var (key, scores) in p.Scores)
        {
            w.Write(key);
            WriteDoubles(w, scores);
        }
        foreach (var s in p.SegmentOfUser)
        {
            WriteNullable(w, s);
        }
    }

    // ---- reading ----

    private static IdMap ReadIds(Reader r, string what)
    {
        var ids = r.Strings();
        try
        {
            return IdMap.FromOrdered(ids);
        }
        catch (ArgumentException)
        {
            throw Corrupt(what, "An id occurs twice.");
        }
    }

    private static InteractionMatrix ReadMatrix(Reader r)
    {
        var users = ReadIds(r, "users");
        var items = ReadIds(r, "items");
        var reference = r.Time();
        var halfLife = r.Span();
        if (halfLife is { } h && h <= TimeSpan.Zero)
        {
            throw Corrupt("matrix", "The half-life is not positive.");
        }
        var userItems = new int[users.Count][];
        var affinity = new double[users.Count][];
        var kinds = new byte[users.Count][];
        for (var u = 0; u < users.Count; u++)
        {
            userItems[u] = r.Indices(items.Count, ascending: true);
            affinity[u] = r.Doubles(userItems[u].Length);
            kinds[u] = r.Bytes(userItems[u].Length);
        }
        return InteractionMatrix.Restore(users, items, userItems, affinity, kinds, reference, halfLife);
    }

    private static ContentModel ReadContent(Reader r)
    {
        var options = new ContentOptions
        {
            TitleWeight = r.Double(), CategoryWeight = r.Double(), BrandWeight = r.Double(), TagWeight = r.Double(),
            PriceBandWeight = r.Double(), PriceBands = r.Int32(),
        };
        options.Validate();
        var count = r.Count(8);
        var products = new Dictionary<string, Product>(count, StringComparer.Ordinal);
        for (var k = 0; k < count; k++)
        {
            var id = r.String();
            var title = r.String();
            var amount = r.Decimal();
            var currency = r.String();
            var category = r.NullableString();
            var brand = r.NullableString();
            var tags = r.Strings();
            var hasStock = r.Bool();
            var stock = r.Int32();
            var hasMargin = r.Bool();
            var margin = r.Decimal();
            var active = r.Bool();
            if (!products.TryAdd(id, new Product
            {
                ProductId = id, Title = title, Price = new Money(amount, currency), Category = category, Brand = brand, Tags = tags,
                StockQuantity = hasStock ? stock : null, Margin = hasMargin ? margin : null, IsActive = active,
            }))
            {
                throw Corrupt("catalogue", "A product id occurs twice.");
            }
        }
        var bands = r.Int32();
        if (bands is < 2 or > 20)
        {
            throw Corrupt("prices", "The number of price bands is out of range.");
        }
        var priced = r.Count(9);
        var percentiles = new Dictionary<string, double>(priced, StringComparer.Ordinal);
        for (var k = 0; k < priced; k++)
        {
            var id = r.String();
            var pct = r.Double();
            if (!(pct is >= 0 and <= 1) || !percentiles.TryAdd(id, pct))
            {
                throw Corrupt("prices", "A price percentile is out of range or repeated.");
            }
        }
        var items = ReadIds(r, "content items");
        if (items.Count != products.Count || items.Ids.Any(id => !products.ContainsKey(id)))
        {
            throw Corrupt("content items", "The content items differ from the catalogue.");
        }
        var terms = r.Strings();
        var itemTerms = new int[items.Count][];
        var itemWeights = new double[items.Count][];
        for (var i = 0; i < items.Count; i++)
        {
            itemTerms[i] = r.Indices(terms.Length, ascending: true);
            itemWeights[i] = r.Doubles(itemTerms[i].Length);
        }
        return ContentModel.Restore(options, items, PriceLadder.Restore(bands, percentiles), products, terms, itemTerms, itemWeights);
    }

    private static SarModel ReadSar(Reader r)
    {
        var options = new SarOptions
        {
            Similarity = (ItemSimilarity)r.Int32(), HalfLife = r.Span(), ReferenceTime = r.OptionalTime(),
            SupportThreshold = r.Int32(), MaxNeighbours = r.Int32(), MaxDegreeOfParallelism = r.Int32(),
        };
        options.Validate();
        var m = ReadMatrix(r);
        var n = m.ItemCount;
        var diag = r.Ints();
        if (diag.Length != n)
        {
            throw Corrupt("sar", "The item counts do not match the items.");
        }
        var coCols = new int[n][];
        var coCounts = new int[n][];
        var nbCols = new int[n][];
        var nbSims = new double[n][];
        for (var i = 0; i < n; i++)
        {
            coCols[i] = r.Indices(n, ascending: true);
            coCounts[i] = r.IntsOf(coCols[i].Length);
            nbCols[i] = r.Indices(n, ascending: false);
            nbSims[i] = r.Doubles(nbCols[i].Length);
        }
        return SarModel.Restore(options, m, diag, coCols, coCounts, nbCols, nbSims);
    }

    private static PopularityModel ReadPopularity(Reader r, bool hadSegments, out Func<string, string?>? segmentOf)
    {
        var options = new PopularityOptions { Measure = (PopularityMeasure)r.Int32(), HalfLife = r.Span(), ReferenceTime = r.OptionalTime() };
        options.Validate();
        var m = ReadMatrix(r);
        var keys = r.Count(5);
        var scores = new Dictionary<string, double[]>(keys, StringComparer.Ordinal);
        for (var k = 0; k < keys; k++)
        {
            var key = r.String();
            var s = r.Doubles();
            if (s.Length != m.ItemCount || !scores.TryAdd(key, s))
            {
                throw Corrupt("popularity", "A score list does not match the items or is repeated.");
            }
        }
        if (!scores.ContainsKey(string.Empty))
        {
            throw Corrupt("popularity", "The overall ranking is missing.");
        }
        var segments = new string?[m.UserCount];
        for (var u = 0; u < segments.Length; u++)
        {
            segments[u] = r.NullableString();
        }
        // The segment function itself cannot be stored: customers known at training keep their segment.
        var users = m.Users;
        segmentOf = hadSegments ? id => users.TryGet(id, out var u) && u < segments.Length ? segments[u] : null : null;
        return PopularityModel.Restore(options, m, scores, segments, segmentOf);
    }

    /// <summary>A bounds-checked little-endian reader over a byte buffer.</summary>
    private sealed class Reader(ReadOnlyMemory<byte> data)
    {
        private int _pos;

        public bool AtEnd => _pos == data.Length;

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || n > data.Length - _pos)
            {
                throw new EndOfStreamException();
            }
            var s = data.Span.Slice(_pos, n);
            _pos += n;
            return s;
        }

        public byte Byte() => Take(1)[0];

        public bool Bool() => Byte() switch
        {
            0 => false,
            1 => true,
            _ => throw new FormatException(),
        };

        public ushort UInt16() => System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

        public short Int16() => System.Buffers.Binary.BinaryPrimitives.ReadInt16LittleEndian(Take(2));

        public uint UInt32() => System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public int Int32() => System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public long Int64() => System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public double Double() => System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

        public decimal Decimal()
        {
            Span<int> bits = stackalloc int[4];
            for (var k = 0; k < 4; k++)
            {
                bits[k] = Int32();
            }
            return new decimal(bits);
        }

        public DateTimeOffset Time()
        {
            var ticks = Int64();
            var offset = TimeSpan.FromMinutes(Int16());
            return new DateTimeOffset(ticks, TimeSpan.Zero).ToOffset(offset);
        }

        public DateTimeOffset? OptionalTime() => Bool() ? Time() : null;

        public TimeSpan? Span() => Bool() ? TimeSpan.FromTicks(Int64()) : null;

        /// <summary>A count of items of at least <paramref name="minBytes"/> bytes each, checked against the bytes left.</summary>
        public int Count(int minBytes)
        {
            var n = Int32();
            if (n < 0 || (long)n * minBytes > data.Length - _pos)
            {
                throw new EndOfStreamException();
            }
            return n;
        }

        public string String()
        {
            // BinaryWriter's 7-bit encoded length, then UTF-8.
            var length = 0;
            for (var shift = 0; ; shift += 7)
            {
                if (shift > 28)
                {
                    throw new FormatException();
                }
                var b = Byte();
                length |= (b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    break;
                }
            }
            return StrictUtf8.GetString(Take(length));
        }

        public string? NullableString() => Bool() ? String() : null;

        public string[] Strings()
        {
            var n = Count(1);
            var a = new string[n];
            for (var k = 0; k < n; k++)
            {
                a[k] = String();
            }
            return a;
        }

        public int[] Ints() => IntsOf(Count(4));

        public int[] IntsOf(int n)
        {
            var a = new int[n];
            var span = Take(checked(n * 4));
            for (var k = 0; k < n; k++)
            {
                a[k] = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(span.Slice(k * 4, 4));
            }
            return a;
        }

        /// <summary>Indices into a map of <paramref name="bound"/> entries, strictly ascending when asked, distinct otherwise.</summary>
        public int[] Indices(int bound, bool ascending)
        {
            var a = Ints();
            for (var k = 0; k < a.Length; k++)
            {
                if ((uint)a[k] >= (uint)bound || (ascending && k > 0 && a[k] <= a[k - 1]))
                {
                    throw new FormatException();
                }
            }
            return a;
        }

        public double[] Doubles() => Doubles(Count(8));

        public double[] Doubles(int n)
        {
            var a = new double[n];
            var span = Take(checked(n * 8));
            for (var k = 0; k < n; k++)
            {
                a[k] = System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(span.Slice(k * 8, 8));
            }
            return a;
        }

        public byte[] Bytes(int n) => Take(n).ToArray();

        private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    }
}
