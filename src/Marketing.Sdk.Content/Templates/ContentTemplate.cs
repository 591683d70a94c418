using System.Globalization;
using System.Text;

namespace Marketing.Sdk.Content.Templates;

/// <summary>Bounds that keep a hostile or careless template from exhausting the host.</summary>
public sealed class ContentTemplateLimits
{
    /// <summary>The longest template text accepted, in UTF-16 code units (default 16 384).</summary>
    public int MaxTemplateLength { get; set; } = 16_384;

    /// <summary>The deepest nesting of <c>{{#if}}</c> blocks accepted (default 8).</summary>
    public int MaxNestingDepth { get; set; } = 8;

    /// <summary>The longest rendered output, in UTF-16 code units; a render that would exceed it fails (default 65 536).</summary>
    public int MaxOutputLength { get; set; } = 65_536;

    /// <summary>The defaults.</summary>
    public static ContentTemplateLimits Default { get; } = new();
}

/// <summary>
/// A compiled deterministic template. Syntax: <c>{{name}}</c> inserts a value; <c>{{#if name}}…{{else}}…{{/if}}</c>
/// keeps one branch (a value is true when it is <see langword="true"/>, a non-empty string or a non-zero number);
/// <c>{{name:plural zero=…|one=# item|other=# items}}</c> picks the plural form of a number for the template's
/// language (<c>#</c> is the number; Chinese has only <c>other</c>, English <c>one</c> for 1 and <c>other</c>
/// otherwise; <c>zero</c> is used for 0 when given). Every placeholder must be declared when the template is compiled,
/// so a typo fails at registration, not at send time.
/// </summary>
public sealed class ContentTemplate
{
    private readonly Node[] _nodes;
    private readonly ContentTemplateLimits _limits;
    private static readonly CultureInfo Culture = CultureInfo.InvariantCulture;

    private ContentTemplate(string id, string language, IReadOnlySet<string> placeholders, Node[] nodes, ContentTemplateLimits limits)
    {
        Id = id;
        Language = language;
        Placeholders = placeholders;
        _nodes = nodes;
        _limits = limits;
    }

    /// <summary>The template's id.</summary>
    public string Id { get; }

    /// <summary>The language (<c>zh</c>, <c>en</c>, or a tag starting with one of them).</summary>
    public string Language { get; }

    /// <summary>The declared placeholder names.</summary>
    public IReadOnlySet<string> Placeholders { get; }

    /// <summary>Compiles a template, refusing unknown placeholders, bad syntax and texts over the limits.</summary>
    /// <param name="id">The template's id.</param>
    /// <param name="language">The language (<c>zh</c> or <c>en</c>, optionally with a region).</param>
    /// <param name="text">The template text.</param>
    /// <param name="placeholders">The placeholder names values will be given for.</param>
    /// <param name="limits">The bounds (default <see cref="ContentTemplateLimits.Default"/>).</param>
    /// <exception cref="ContentTemplateException">The template is refused; the exception names the position and placeholder.</exception>
    public static ContentTemplate Compile(string id, string language, string text, IEnumerable<string> placeholders, ContentTemplateLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentException.ThrowIfNullOrWhiteSpace(language);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(placeholders);
        limits ??= ContentTemplateLimits.Default;
        if (!language.StartsWith("zh", StringComparison.OrdinalIgnoreCase) && !language.StartsWith("en", StringComparison.OrdinalIgnoreCase))
        {
            throw new ContentTemplateException($"language '{language}' is not supported (zh or en)");
        }

        if (text.Length > limits.MaxTemplateLength)
        {
            throw new ContentTemplateException($"the text has {text.Length} characters, over the limit of {limits.MaxTemplateLength}");
        }

        var declared = new HashSet<string>(placeholders, StringComparer.Ordinal);
        var parser = new Parser(text, declared, limits.MaxNestingDepth);
        var nodes = parser.ParseBlock(0, out var end);
        if (end is not null)
        {
            throw new ContentTemplateException($"'{{{{{end}}}}}' without an opening '{{{{#if}}}}'", parser.Position);
        }

        return new ContentTemplate(id, language, declared, nodes, limits);
    }

    /// <summary>Renders the template.</summary>
    /// <param name="values">The values by placeholder name (strings, booleans or numbers).</param>
    /// <exception cref="ContentTemplateException">A value is missing, a plural value is not a number, or the output would exceed <see cref="ContentTemplateLimits.MaxOutputLength"/>.</exception>
    public string Render(IReadOnlyDictionary<string, object?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var output = new StringBuilder();
        Write(_nodes, values, output);
        return output.ToString();
    }

    private void Write(Node[] nodes, IReadOnlyDictionary<string, object?> values, StringBuilder output)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case TextNode t:
                    Append(output, t.Text);
                    break;
                case VariableNode v:
                    Append(output, Format(Value(values, v.Name, v.Position)));
                    break;
                case IfNode c:
                    Write(IsTrue(values.GetValueOrDefault(c.Name)) ? c.Then : c.Else, values, output);
                    break;
                case PluralNode p:
                    var number = Number(Value(values, p.Name, p.Position), p);
                    var form = number == 0 && p.Forms.TryGetValue("zero", out var zero) ? zero
                        : number == 1 && IsEnglish && p.Forms.TryGetValue("one", out var one) ? one
                        : p.Forms["other"];
                    Append(output, form.Replace("#", number.ToString(Culture), StringComparison.Ordinal));
                    break;
            }
        }
    }

    private bool IsEnglish => Language.StartsWith("en", StringComparison.OrdinalIgnoreCase);

    private void Append(StringBuilder output, string text)
    {
        if (output.Length + text.Length > _limits.MaxOutputLength)
        {
            throw new ContentTemplateException($"the output of template '{Id}' would exceed {_limits.MaxOutputLength} characters");
        }

        output.Append(text);
    }

    private static object Value(IReadOnlyDictionary<string, object?> values, string name, int position) =>
        values.TryGetValue(name, out var value) && value is not null ? value : throw new ContentTemplateException("no value given for placeholder", position, name);

    private static string Format(object value) => value switch
    {
        string s => s,
        IFormattable f => f.ToString(null, Culture),
        _ => value.ToString() ?? "",
    };

    private static decimal Number(object value, PluralNode node) => value switch
    {
        int i => i,
        long l => l,
        decimal d => d,
        double d => (decimal)d,
        float f => (decimal)f,
        short s => s,
        _ => throw new ContentTemplateException("a plural form needs a number for placeholder", node.Position, node.Name),
    };

    private static bool IsTrue(object? value) => value switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0,
        int i => i != 0,
        long l => l != 0,
        decimal d => d != 0,
        double d => d != 0,
        _ => true,
    };

    private abstract record Node;

    private sealed record TextNode(string Text) : Node;

    private sealed record VariableNode(string Name, int Position) : Node;

    private sealed record IfNode(string Name, Node[] Then, Node[] Else) : Node;

    private sealed record PluralNode(string Name, int Position, IReadOnlyDictionary<string, string> Forms) : Node;

    private sealed class Parser(string text, HashSet<string> declared, int maxDepth)
    {
        public int Position { get; private set; }

        /// <summary>Parses until the end or a closing tag (<c>else</c> or <c>/if</c>), returned in <paramref name="end"/>.</summary>
        public Node[] ParseBlock(int depth, out string? end)
        {
            var nodes = new List<Node>();
            var literal = new StringBuilder();
            end = null;
            while (Position < text.Length)
            {
                var open = text.IndexOf("{{", Position, StringComparison.Ordinal);
                if (open < 0)
                {
                    literal.Append(text, Position, text.Length - Position);
                    Position = text.Length;
                    break;
                }

                literal.Append(text, Position, open - Position);
                var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new ContentTemplateException("'{{' is never closed", open);
                }

                var tag = text.Substring(open + 2, close - open - 2).Trim();
                Position = close + 2;
                if (tag is "else" or "/if")
                {
                    Position = open;
                    end = tag;
                    Position = close + 2;
                    Flush(nodes, literal);
                    return [.. nodes];
                }

                Flush(nodes, literal);
                if (tag.StartsWith("#if ", StringComparison.Ordinal))
                {
                    if (depth + 1 > maxDepth)
                    {
                        throw new ContentTemplateException($"conditionals nest deeper than {maxDepth}", open);
                    }

                    var name = Name(tag[4..].Trim(), open);
                    var then = ParseBlock(depth + 1, out var thenEnd);
                    Node[] otherwise = [];
                    if (thenEnd == "else")
                    {
                        otherwise = ParseBlock(depth + 1, out thenEnd);
                    }

                    if (thenEnd != "/if")
                    {
                        throw new ContentTemplateException("'{{#if}}' is never closed by '{{/if}}'", open, name);
                    }

                    nodes.Add(new IfNode(name, then, otherwise));
                }
                else if (tag.Contains(":plural", StringComparison.Ordinal))
                {
                    var colon = tag.IndexOf(":plural", StringComparison.Ordinal);
                    var name = Name(tag[..colon].Trim(), open);
                    var forms = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var part in tag[(colon + 7)..].Split('|'))
                    {
                        var eq = part.IndexOf('=', StringComparison.Ordinal);
                        var key = eq < 0 ? "" : part[..eq].Trim();
                        if (key is not ("zero" or "one" or "other") || !forms.TryAdd(key, part[(eq + 1)..]))
                        {
                            throw new ContentTemplateException("a plural form must be zero=, one= or other=, each once, for placeholder", open, name);
                        }
                    }

                    if (!forms.ContainsKey("other"))
                    {
                        throw new ContentTemplateException("a plural needs an other= form for placeholder", open, name);
                    }

                    nodes.Add(new PluralNode(name, open, forms));
                }
                else
                {
                    nodes.Add(new VariableNode(Name(tag, open), open));
                }
            }

            Flush(nodes, literal);
            return [.. nodes];
        }

        private string Name(string name, int position)
        {
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.'))
            {
                throw new ContentTemplateException("a placeholder name must be letters, digits, '_' or '.'", position);
            }

            return declared.Contains(name) ? name : throw new ContentTemplateException("unknown placeholder", position, name);
        }

        private static void Flush(List<Node> nodes, StringBuilder literal)
        {
            if (literal.Length > 0)
            {
                nodes.Add(new TextNode(literal.ToString()));
                literal.Clear();
            }
        }
    }
}

/// <summary>Holds compiled templates by id; registration compiles, so a broken template never reaches a send.</summary>
public sealed class ContentTemplateRegistry
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ContentTemplate> _templates = new(StringComparer.Ordinal);
    private readonly ContentTemplateLimits _limits;

    /// <summary>Creates a registry.</summary>
    /// <param name="limits">The bounds every template is compiled with (default <see cref="ContentTemplateLimits.Default"/>).</param>
    public ContentTemplateRegistry(ContentTemplateLimits? limits = null) => _limits = limits ?? ContentTemplateLimits.Default;

    /// <summary>Compiles and registers (or replaces) a template.</summary>
    /// <param name="id">The template's id.</param>
    /// <param name="language">The language (<c>zh</c> or <c>en</c>).</param>
    /// <param name="text">The template text.</param>
    /// <param name="placeholders">The declared placeholder names.</param>
    /// <exception cref="ContentTemplateException">The template is refused.</exception>
    public ContentTemplate Register(string id, string language, string text, IEnumerable<string> placeholders)
    {
        var template = ContentTemplate.Compile(id, language, text, placeholders, _limits);
        _templates[id] = template;
        return template;
    }

    /// <summary>Finds a registered template.</summary>
    /// <param name="id">The template's id.</param>
    /// <param name="template">The template, when registered.</param>
    public bool TryGet(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ContentTemplate? template) => _templates.TryGetValue(id, out template);

    /// <summary>Renders a registered template.</summary>
    /// <param name="id">The template's id.</param>
    /// <param name="values">The values by placeholder name.</param>
    /// <exception cref="ContentTemplateException">The template is not registered, or the render fails.</exception>
    public string Render(string id, IReadOnlyDictionary<string, object?> values) =>
        TryGet(id, out var template) ? template.Render(values) : throw new ContentTemplateException($"template '{id}' is not registered");
}
