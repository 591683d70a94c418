namespace Marketing.Sdk.Lifecycle.Models;

/// <summary>Objective with gradient: returns f(x) and writes ∇f(x) into the gradient span; may return NaN or +∞ where undefined.</summary>
internal delegate double GradientObjective(ReadOnlySpan<double> x, Span<double> gradient);

/// <summary>Outcome of a minimisation.</summary>
internal sealed record OptimizationResult(double[] Minimum, double Value, int Iterations, int Evaluations, bool Converged, string Method);

/// <summary>Quasi-Newton BFGS with a backtracking (Armijo) line search and a bounded step, for smooth objectives in unconstrained (log-parameter) space.</summary>
internal static class Bfgs
{
    public static OptimizationResult Minimize(GradientObjective objective, double[] start, int maxIterations = 500, double gradientTolerance = 1e-9, double maxStep = 2.0)
    {
        var n = start.Length;
        var x = (double[])start.Clone();
        var g = new double[n];
        var f = objective(x, g);
        var evaluations = 1;
        if (!double.IsFinite(f) || !AllFinite(g))
        {
            return new OptimizationResult(x, f, 0, evaluations, false, "bfgs");
        }
        var h = Identity(n);
        var d = new double[n];
        var xn = new double[n];
        var gn = new double[n];
        var s = new double[n];
        var y = new double[n];
        var hy = new double[n];
        var firstUpdate = true;
        var stalled = 0;
        for (var iteration = 1; iteration <= maxIterations; iteration++)
        {
            if (NormInf(g) < gradientTolerance)
            {
                return new OptimizationResult(x, f, iteration - 1, evaluations, true, "bfgs");
            }
            var slope = 0.0;
            for (var i = 0; i < n; i++)
            {
                var sum = 0.0;
                for (var j = 0; j < n; j++)
                {
                    sum -= h[i, j] * g[j];
                }
                d[i] = sum;
                slope += sum * g[i];
            }
            if (!(slope < 0))
            {
                h = Identity(n);
                firstUpdate = true;
                slope = 0;
                for (var i = 0; i < n; i++)
                {
                    d[i] = -g[i];
                    slope -= g[i] * g[i];
                }
            }
            var norm = NormInf(d);
            if (norm > maxStep)
            {
                var scale = maxStep / norm;
                for (var i = 0; i < n; i++)
                {
                    d[i] *= scale;
                }
                slope *= scale;
            }
            var step = 1.0;
            var accepted = false;
            double fn = double.NaN;
            for (var attempt = 0; attempt < 60; attempt++)
            {
                for (var i = 0; i < n; i++)
                {
                    xn[i] = x[i] + step * d[i];
                }
                fn = objective(xn, gn);
                evaluations++;
                if (double.IsFinite(fn) && AllFinite(gn) && fn <= f + 1e-4 * step * slope)
                {
                    accepted = true;
                    break;
                }
                step *= 0.5;
            }
            if (!accepted)
            {
                // No decrease along a descent direction: we are at the limit of floating-point resolution.
                return new OptimizationResult(x, f, iteration, evaluations, NormInf(g) < gradientTolerance * 1e3, "bfgs");
            }
            var sy = 0.0;
            var yy = 0.0;
            for (var i = 0; i < n; i++)
            {
                s[i] = xn[i] - x[i];
                y[i] = gn[i] - g[i];
                sy += s[i] * y[i];
                yy += y[i] * y[i];
            }
            if (sy > 1e-300 && yy > 0)
            {
                if (firstUpdate)
                {
                    h = Identity(n, sy / yy);
                    firstUpdate = false;
                }
                // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
                var rho = 1 / sy;
                var yhy = 0.0;
                for (var i = 0; i < n; i++)
                {
                    var sum = 0.0;
                    for (var j = 0; j < n; j++)
                    {
                        sum += h[i, j] * y[j];
                    }
                    hy[i] = sum;
                    yhy += y[i] * sum;
                }
                for (var i = 0; i < n; i++)
                {
                    for (var j = 0; j < n; j++)
                    {
                        h[i, j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
                    }
                }
            }
            var change = Math.Abs(f - fn);
            Array.Copy(xn, x, n);
            Array.Copy(gn, g, n);
            f = fn;
            stalled = change <= 1e-15 * (1 + Math.Abs(f)) ? stalled + 1 : 0;
            if (stalled >= 3)
            {
                return new OptimizationResult(x, f, iteration, evaluations, true, "bfgs");
            }
        }
        return new OptimizationResult(x, f, maxIterations, evaluations, NormInf(g) < gradientTolerance, "bfgs");
    }

    private static double[,] Identity(int n, double scale = 1)
    {
        var m = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            m[i, i] = scale;
        }
        return m;
    }

    private static double NormInf(ReadOnlySpan<double> v)
    {
        var m = 0.0;
        foreach (var e in v)
        {
            m = Math.Max(m, Math.Abs(e));
        }
        return m;
    }

    private static bool AllFinite(ReadOnlySpan<double> v)
    {
        foreach (var e in v)
        {
            if (!double.IsFinite(e))
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>Nelder–Mead downhill simplex (standard coefficients), the derivative-free fallback.</summary>
internal static class NelderMead
{
    public static OptimizationResult Minimize(Func<double[], double> objective, double[] start, int maxEvaluations = 20_000, double tolerance = 1e-12, double initialStep = 0.5)
    {
        var n = start.Length;
        var simplex = new double[n + 1][];
        var values = new double[n + 1];
        var evaluations = 0;
        double Eval(double[] p)
        {
            evaluations++;
            var v = objective(p);
            return double.IsFinite(v) ? v : double.PositiveInfinity;
        }
        for (var i = 0; i <= n; i++)
        {
            simplex[i] = (double[])start.Clone();
            if (i > 0)
            {
                simplex[i][i - 1] += initialStep;
            }
            values[i] = Eval(simplex[i]);
        }
        var iterations = 0;
        var centroid = new double[n];
        while (evaluations < maxEvaluations)
        {
            iterations++;
            Array.Sort(values, simplex);
            var spread = Math.Abs(values[n] - values[0]);
            var size = 0.0;
            for (var i = 1; i <= n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    size = Math.Max(size, Math.Abs(simplex[i][j] - simplex[0][j]));
                }
            }
            if (spread <= tolerance * (1 + Math.Abs(values[0])) && size <= 1e-9)
            {
                return new OptimizationResult(simplex[0], values[0], iterations, evaluations, true, "nelder-mead");
            }
            Array.Clear(centroid);
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    centroid[j] += simplex[i][j] / n;
                }
            }
            var reflected = Combine(centroid, simplex[n], 1.0);
            var fr = Eval(reflected);
            if (fr < values[0])
            {
                var expanded = Combine(centroid, simplex[n], 2.0);
                var fe = Eval(expanded);
                (simplex[n], values[n]) = fe < fr ? (expanded, fe) : (reflected, fr);
            }
            else if (fr < values[n - 1])
            {
                (simplex[n], values[n]) = (reflected, fr);
            }
            else
            {
                var outside = fr < values[n];
                var contracted = Combine(centroid, simplex[n], outside ? 0.5 : -0.5);
                var fc = Eval(contracted);
                if (fc < (outside ? fr : values[n]))
                {
                    (simplex[n], values[n]) = (contracted, fc);
                }
                else
                {
                    for (var i = 1; i <= n; i++)
                    {
                        for (var j = 0; j < n; j++)
                        {
                            simplex[i][j] = simplex[0][j] + 0.5 * (simplex[i][j] - simplex[0][j]);
                        }
                        values[i] = Eval(simplex[i]);
                    }
                }
            }
        }
        Array.Sort(values, simplex);
        return new OptimizationResult(simplex[0], values[0], iterations, evaluations, false, "nelder-mead");
    }

    // centroid + coefficient · (centroid − worst)
    private static double[] Combine(double[] centroid, double[] worst, double coefficient)
    {
        var p = new double[centroid.Length];
        for (var j = 0; j < p.Length; j++)
        {
            p[j] = centroid[j] + coefficient * (centroid[j] - worst[j]);
        }
        return p;
    }
}
