using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Marketing.Sdk.Lifecycle.Models;

/// <summary>
/// Customer summaries reduced to their sufficient statistics for the BG/NBD likelihood: customers
/// that share (x, t<sub>x</sub>, T) exactly become one weighted row, customers without repeat
/// purchases one row per distinct T, and the terms that depend on x only are kept as counts per x.
/// Rows are stored column-wise so the likelihood and its gradient run as tight (SIMD) loops.
/// </summary>
internal sealed class BgNbdData
{
    private const int ChunkSize = 1 << 14;

    // Customers without repeat purchases: distinct T and how many share it.
    private readonly double[] _zeroT;
    private readonly double[] _zeroW;

    // Repeat buyers: distinct (x, t_x, T) and how many share it.
    private readonly double[] _x;
    private readonly double[] _tx;
    private readonly double[] _t;
    private readonly double[] _w;

    private BgNbdData(SummaryGroups groups)
    {
        Count = groups.Customers;
        MaxX = groups.MaxX;
        TotalFrequency = groups.TotalFrequency;
        TotalT = groups.TotalT;
        CountByX = new long[MaxX + 1];
        var zeros = 0;
        for (var g = 0; g < groups.Count; g++)
        {
            CountByX[groups.X[g]] += groups.Weight[g];
            if (groups.X[g] == 0)
            {
                zeros++;
            }
        }
        _zeroT = new double[zeros];
        _zeroW = new double[zeros];
        var repeat = groups.Count - zeros;
        _x = new double[repeat];
        _tx = new double[repeat];
        _t = new double[repeat];
        _w = new double[repeat];
        int z = 0, k = 0;
        for (var g = 0; g < groups.Count; g++)
        {
            if (groups.X[g] == 0)
            {
                _zeroT[z] = groups.T[g];
                _zeroW[z++] = groups.Weight[g];
            }
            else
            {
                _x[k] = groups.X[g];
                _tx[k] = groups.Recency[g];
                _t[k] = groups.T[g];
                _w[k++] = groups.Weight[g];
            }
        }
    }

    /// <summary>Customers per frequency x.</summary>
    public long[] CountByX { get; }

    /// <summary>Largest frequency.</summary>
    public int MaxX { get; }

    /// <summary>Number of customers.</summary>
    public int Count { get; }

    /// <summary>Number of weighted rows the per-customer part of the likelihood runs over.</summary>
    public int Rows => _zeroT.Length + _x.Length;

    /// <summary>Σ x over the customers.</summary>
    public double TotalFrequency { get; }

    /// <summary>Σ T over the customers.</summary>
    public double TotalT { get; }

    public static BgNbdData Create(IReadOnlyList<CustomerSummary> customers)
    {
        if (customers.Count == 0)
        {
            throw new LifecycleModelException("At least one customer summary is needed.");
        }
        return new BgNbdData(SummaryGroups.Create(customers, keepSlots: false));
    }

    /// <summary>−LL/N at θ = ln(r, α, a, b), with its gradient in θ.</summary>
    public double NegativeMeanLogLikelihood(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        double r = Math.Exp(theta[0]), alpha = Math.Exp(theta[1]), a = Math.Exp(theta[2]), b = Math.Exp(theta[3]);
        if (!double.IsFinite(r + alpha + a + b) || r <= 0 || alpha <= 0 || a <= 0 || b <= 0)
        {
            return double.NaN;
        }

        // Terms that depend on x only: ln Γ(r+x) − ln Γ(r) = Σ_{i<x} ln(r+i), etc., weighted by the count of each x.
        double ll = Count * r * Math.Log(alpha), dr = Count * Math.Log(alpha), dAlpha = Count * r / alpha, da = 0, db = 0;
        double sLogR = 0, sInvR = 0, sLogB = 0, sInvB = 0, sLogAb = 0, sInvAb = 0;
        for (var x = 0; x <= MaxX; x++)
        {
            var n = CountByX[x];
            if (n > 0)
            {
                ll += n * (sLogR + sLogB - sLogAb);
                dr += n * sInvR;
                da -= n * sInvAb;
                db += n * (sInvB - sInvAb);
            }
            sLogR += Math.Log(r + x);
            sInvR += 1 / (r + x);
            sLogB += Math.Log(b + x);
            sInvB += 1 / (b + x);
            sLogAb += Math.Log(a + b + x);
            sInvAb += 1 / (a + b + x);
        }

        // Customers without repeat purchases: −(r) ln(α+T), weighted per distinct T.
        double zeroLog = 0, zeroInv = 0;
        for (var i = 0; i < _zeroT.Length; i++)
        {
            var aT = alpha + _zeroT[i];
            zeroLog += _zeroW[i] * Math.Log(aT);
            zeroInv += _zeroW[i] / aT;
        }
        ll -= r * zeroLog;
        dr -= zeroLog;
        dAlpha -= r * zeroInv;

        // Repeat buyers: ln[(α+T)^−(r+x) + a/(b+x−1) (α+t_x)^−(r+x)], weighted per distinct (x, t_x, T).
        var rows = _x.Length;
        var chunks = (rows + ChunkSize - 1) / ChunkSize;
        var partial = new RowSums[chunks];
        var evaluation = new Evaluation(this, r, alpha, Math.Log(a), b, partial);
        if (chunks > 2)
        {
            Parallel.For(0, chunks, evaluation.Chunk);
        }
        else
        {
            for (var k = 0; k < chunks; k++)
            {
                evaluation.Chunk(k);
            }
        }
        // Sum chunk results in a fixed order so the fit is deterministic.
        foreach (var s in partial)
        {
            ll += s.LogLikelihood;
            dr -= s.LogTerms;
            dAlpha -= s.InverseTerms;
            da += s.DropoutWeight / a;
            db -= s.DropoutWeightOverB;
        }
        var scale = -1.0 / Count;
        gradient[0] = scale * dr * r;
        gradient[1] = scale * dAlpha * alpha;
        gradient[2] = scale * da * a;
        gradient[3] = scale * db * b;
        return scale * ll;
    }

    /// <summary>Weighted sums over a chunk of repeat-buyer rows.</summary>
    /// <param name="LogLikelihood">Σ w · ln[(α+T)^−(r+x) + a/(b+x−1) (α+t_x)^−(r+x)].</param>
    /// <param name="LogTerms">Σ w · (w₃ ln(α+T) + w₄ ln(α+t_x)), w₃ + w₄ = 1 the shares of the two terms.</param>
    /// <param name="InverseTerms">Σ w · (r+x) (w₃/(α+T) + w₄/(α+t_x)).</param>
    /// <param name="DropoutWeight">Σ w · w₄.</param>
    /// <param name="DropoutWeightOverB">Σ w · w₄/(b+x−1).</param>
    private readonly record struct RowSums(double LogLikelihood, double LogTerms, double InverseTerms, double DropoutWeight, double DropoutWeightOverB);

    private sealed class Evaluation(BgNbdData data, double r, double alpha, double logA, double b, RowSums[] partial)
    {
        public void Chunk(int k)
        {
            var start = k * ChunkSize;
            var end = Math.Min(data._x.Length, start + ChunkSize);
            partial[k] = Vector256.IsHardwareAccelerated ? SumVector(start, end) : SumScalar(start, end, default);
        }

        private RowSums SumVector(int start, int end)
        {
            ref var xs = ref MemoryMarshal.GetArrayDataReference(data._x);
            ref var txs = ref MemoryMarshal.GetArrayDataReference(data._tx);
            ref var ts = ref MemoryMarshal.GetArrayDataReference(data._t);
            ref var ws = ref MemoryMarshal.GetArrayDataReference(data._w);
            var vAlpha = Vector256.Create(alpha);
            var vR = Vector256.Create(r);
            var vLogA = Vector256.Create(logA);
            var vBm1 = Vector256.Create(b - 1);
            var one = Vector256<double>.One;
            Vector256<double> sLl = default, sLog = default, sInv = default, sW4 = default, sW4B = default;
            var i = start;
            for (; i <= end - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                var offset = (nuint)i;
                var x = Vector256.LoadUnsafe(ref xs, offset);
                var w = Vector256.LoadUnsafe(ref ws, offset);
                var aT = vAlpha + Vector256.LoadUnsafe(ref ts, offset);
                var aTx = vAlpha + Vector256.LoadUnsafe(ref txs, offset);
                var bx = vBm1 + x;
                var la = Vector256.Log(aT);
                var lt = Vector256.Log(aTx);
                var rx = vR + x;
                var l3 = -(rx * la);
                var l4 = vLogA - Vector256.Log(bx) - rx * lt;
                var d = l4 - l3;
                var e = Vector256.Exp(-Vector256.Abs(d));
                var onePlusE = one + e;
                var inv = one / onePlusE;
                var w4 = Vector256.ConditionalSelect(Vector256.GreaterThan(d, Vector256<double>.Zero), inv, e * inv);
                var w3 = one - w4;
                var ww4 = w * w4;
                sLl += w * (Vector256.Max(l3, l4) + Vector256.Log(onePlusE));
                sLog += w * (w3 * la) + ww4 * lt;
                sInv += w * rx * (w3 / aT + w4 / aTx);
                sW4 += ww4;
                sW4B += ww4 / bx;
            }
            var vector = new RowSums(Vector256.Sum(sLl), Vector256.Sum(sLog), Vector256.Sum(sInv), Vector256.Sum(sW4), Vector256.Sum(sW4B));
            return SumScalar(i, end, vector);
        }

        private RowSums SumScalar(int start, int end, RowSums sums)
        {
            var (sLl, sLog, sInv, sW4, sW4B) = sums;
            for (var i = start; i < end; i++)
            {
                var x = data._x[i];
                var w = data._w[i];
                var aT = alpha + data._t[i];
                var aTx = alpha + data._tx[i];
                var bx = b - 1 + x;
                var la = Math.Log(aT);
                var lt = Math.Log(aTx);
                var rx = r + x;
                var l3 = -(rx * la);
                var l4 = logA - Math.Log(bx) - rx * lt;
                var d = l4 - l3;
                var e = Math.Exp(-Math.Abs(d));
                var onePlusE = 1 + e;
                var inv = 1 / onePlusE;
                var w4 = d > 0 ? inv : e * inv;
                var w3 = 1 - w4;
                sLl += w * (Math.Max(l3, l4) + Math.Log(onePlusE));
                sLog += w * (w3 * la) + w * w4 * lt;
                sInv += w * rx * (w3 / aT + w4 / aTx);
                sW4 += w * w4;
                sW4B += w * w4 / bx;
            }
            return new RowSums(sLl, sLog, sInv, sW4, sW4B);
        }
    }
}
