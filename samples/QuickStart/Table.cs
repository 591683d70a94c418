namespace QuickStart;

/// <summary>A compact text table: the first column is left-aligned, the others right-aligned unless told otherwise.</summary>
internal sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];
    private readonly HashSet<int> _left = [0];

    /// <summary>Left-aligns these columns too.</summary>
    public Table Left(params int[] columns)
    {
        _left.UnionWith(columns);
        return this;
    }

    public Table Add(params object?[] cells)
    {
        var row = new string[headers.Length];
        for (var i = 0; i < row.Length; i++)
        {
            row[i] = i < cells.Length ? Format(cells[i]) : string.Empty;
        }
        _rows.Add(row);
        return this;
    }

    public int Count => _rows.Count;

    public void WriteTo(TextWriter output, string indent = "   ")
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        void Write(string[] cells)
        {
            var parts = cells.Select((c, i) => _left.Contains(i) ? c.PadRight(widths[i]) : c.PadLeft(widths[i]));
            output.WriteLine((indent + string.Join("  ", parts)).TrimEnd());
        }
        Write(headers);
        Write(widths.Select(w => new string('-', w)).ToArray());
        foreach (var row in _rows)
        {
            Write(row);
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "-",
        string s => s,
        int or long => $"{value:N0}",
        double d when double.IsNaN(d) => "-",
        double d => d.ToString("N2"),
        decimal m => m.ToString("N2"),
        TimeSpan t => Duration(t),
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>A short duration such as 4m, 3.5h or 2.0d.</summary>
    public static string Duration(TimeSpan? t) => t switch
    {
        null => "-",
        { TotalMinutes: < 1 } x => $"{x.TotalSeconds:0}s",
        { TotalHours: < 1 } x => $"{x.TotalMinutes:0}m",
        { TotalDays: < 1 } x => $"{x.TotalHours:0.0}h",
        { } x => $"{x.TotalDays:0.0}d",
    };

    /// <summary>A share as a percentage.</summary>
    public static string Percent(double share, int decimals = 1) => share.ToString("P" + decimals);
}
