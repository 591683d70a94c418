namespace Marketing.Sdk.Text;

/// <summary>Splits one line of delimited text (CSV, TSV) as RFC 4180 reads it.</summary>
internal static class DelimitedText
{
    /// <summary>
    /// Splits <paramref name="text"/> at <paramref name="delimiter"/>, honouring double quotes (a
    /// delimiter inside quotes is text; a doubled quote inside quotes is a literal quote).
    /// </summary>
    /// <param name="text">One line.</param>
    /// <param name="delimiter">The field delimiter.</param>
    /// <param name="fields">Cleared, then filled with the fields.</param>
    public static void Split(string text, char delimiter, List<string> fields)
    {
        fields.Clear();
        var sb = new System.Text.StringBuilder();
        var quoted = false;
        for (var k = 0; k < text.Length; k++)
        {
            var c = text[k];
            if (quoted)
            {
                if (c == '"' && k + 1 < text.Length && text[k + 1] == '"')
                {
                    sb.Append('"');
                    k++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    sb.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == delimiter)
            {
                fields.Add(sb.ToString());
                sb.Clear();
            }
            else
            {
                sb.Append(c);
            }
        }
        fields.Add(sb.ToString());
    }
}
