using System.Globalization;
using System.Text;

namespace Marketing.Sdk.Segmentation;

/// <summary>
/// The segment rule language: <see cref="Parse"/> turns text into a <see cref="SegmentCondition"/>
/// (recursive descent, errors with line, column and expected tokens) and <see cref="Format"/> turns
/// a condition back into text that parses to an equal condition. See <c>docs/segmentation.md</c>
/// for the grammar.
/// </summary>
public static class SegmentDsl
{
    /// <summary>
    /// Deepest nesting accepted: at most this many parentheses and <c>not</c>s open at once while
    /// parsing, and at most this many levels in the condition tree (each <c>and</c>/<c>or</c> operand,
    /// <c>not</c> operand — including the one of <c>x not in (…)</c> — and event filter is one level
    /// below its parent), the same count <see cref="Validate"/> applies.
    /// </summary>
    public const int MaxNesting = 64;

    /// <summary>Longest rolling window accepted (100 years).</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(36525);

    internal static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "not", "true", "false", "between", "in", "contains", "starts", "with", "is", "set",
        "within", "where", "of", "segment", "tag", "exists", "count", "sum", "min", "max", "avg",
    };

    /// <summary>Parses a rule.</summary>
    /// <param name="text">The rule text.</param>
    /// <returns>The condition; always valid according to <see cref="Validate"/>.</returns>
    /// <exception cref="SegmentParseException">The text is not a valid rule; the only exception this method throws for any input.</exception>
    public static SegmentCondition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parser = new Parser(Lexer.Tokenize(text));
        return parser.ParseRule();
    }

    /// <summary>Whether <paramref name="text"/> is well-formed UTF-16 (every surrogate is part of a pair), so it survives UTF-8 and JSON unchanged.</summary>
    internal static bool IsWellFormed(string text) => FirstUnpairedSurrogate(text) < 0;

    /// <summary>The index of the first unpaired surrogate in <paramref name="text"/>, or −1.</summary>
    internal static int FirstUnpairedSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Parses a rule, returning <see langword="false"/> and the error instead of throwing.</summary>
    /// <param name="text">The rule text.</param>
    /// <param name="condition">The condition, when the text is valid.</param>
    /// <param name="error">The error, when it is not.</param>
    public static bool TryParse(string text, out SegmentCondition? condition, out SegmentParseException? error)
    {
        try
        {
            condition = Parse(text);
            error = null;
            return true;
        }
        catch (SegmentParseException e)
        {
            condition = null;
            error = e;
            return false;
        }
    }

    /// <summary>Formats a condition as rule text; <c>Parse(Format(c))</c> equals <c>c</c> for every valid condition.</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="redactLiterals">Replace literal values by their kind (for logs and <see cref="object.ToString"/>).</param>
    public static string Format(SegmentCondition condition, bool redactLiterals = false)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var sb = new StringBuilder();
        new Formatter(sb, redactLiterals).Write(condition);
        return sb.ToString();
    }

    /// <summary>
    /// Checks a condition built in code (or read from JSON) against the rules the parser enforces:
    /// operand counts, literal kinds, names, windows, and that event filters use only field
    /// conditions, <c>and</c>, <c>or</c> and <c>not</c>.
    /// </summary>
    /// <param name="condition">The condition.</param>
    /// <exception cref="MarketingValidationException">The condition is not valid; <see cref="MarketingValidationException.Field"/> is a path into the rule.</exception>
    public static void Validate(SegmentCondition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ValidateNode(condition, "rule", inEvent: false, depth: 0);
    }

    private static void ValidateText(string text, string path)
    {
        if (!IsWellFormed(text))
        {
            throw new MarketingValidationException(path, ValidationReason.InvalidCharacters, "Text is well-formed UTF-16: an unpaired surrogate would change when stored.");
        }
    }

    private static void ValidateNode(SegmentCondition? condition, string path, bool inEvent, int depth)
    {
        if (depth > MaxNesting)
        {
            throw new MarketingValidationException(path, ValidationReason.TooLarge, $"Rules nest at most {MaxNesting} levels.");
        }
        switch (condition)
        {
            case null:
                throw new MarketingValidationException(path, ValidationReason.Missing, "A condition is required.");
            case AndCondition a:
                ValidateOperands(a.Operands, path, inEvent, depth);
                break;
            case OrCondition o:
                ValidateOperands(o.Operands, path, inEvent, depth);
                break;
            case NotCondition n:
                ValidateNode(n.Operand, path + ".operand", inEvent, depth + 1);
                break;
            case FieldCondition f:
                ValidateField(f, path);
                break;
            case TagCondition t when !inEvent:
                if (string.IsNullOrEmpty(t.Tag))
                {
                    throw new MarketingValidationException(path + ".tag", ValidationReason.Missing, "A tag is required.");
                }
                ValidateText(t.Tag, path + ".tag");
                break;
            case SegmentReferenceCondition s when !inEvent:
                ValidateSegmentId(s.SegmentId, path + ".segmentId");
                break;
            case EventAggregateCondition g when !inEvent:
                if (g.Function == AggregateFunction.Count ? g.Field is not null : g.Field is null)
                {
                    throw new MarketingValidationException(path + ".field", ValidationReason.Inconsistent, "count takes no field; sum, min, max and avg need one.");
                }
                if (g.Field is not null)
                {
                    ValidateName(g.Field, path + ".field");
                }
                ValidateEventType(g.EventType, path);
                ValidateEnum(g.Function, path + ".function");
                ValidateEnum(g.Operator, path + ".operator");
                ValidateWindow(g.Window, path + ".window");
                if (g.Filter is not null)
                {
                    ValidateNode(g.Filter, path + ".filter", inEvent: true, depth + 1);
                }
                break;
            case EventExistsCondition e when !inEvent:
                ValidateEventType(e.EventType, path);
                ValidateWindow(e.Window, path + ".window");
                if (e.Filter is not null)
                {
                    ValidateNode(e.Filter, path + ".filter", inEvent: true, depth + 1);
                }
                break;
            default:
                throw new MarketingValidationException(path, ValidationReason.Inconsistent, "Event filters contain only field conditions, and, or, not.");
        }
    }

    private static void ValidateOperands(IReadOnlyList<SegmentCondition>? operands, string path, bool inEvent, int depth)
    {
        if (operands is null || operands.Count < 2)
        {
            throw new MarketingValidationException(path + ".operands", ValidationReason.OutOfRange, "'and' and 'or' take two or more operands.");
        }
        for (var i = 0; i < operands.Count; i++)
        {
            ValidateNode(operands[i], $"{path}.operands[{i}]", inEvent, depth + 1);
        }
    }

    private static void ValidateField(FieldCondition f, string path)
    {
        ValidateName(f.Field, path + ".field");
        ValidateEnum(f.Operator, path + ".operator");
        var values = f.Values ?? throw new MarketingValidationException(path + ".values", ValidationReason.Missing, "Values are required.");
        var (min, max) = f.Operator switch
        {
            FieldOperator.IsSet or FieldOperator.IsNotSet => (0, 0),
            FieldOperator.Between => (2, 2),
            FieldOperator.In => (1, 1024),
            _ => (1, 1),
        };
        if (values.Count < min || values.Count > max)
        {
            throw new MarketingValidationException(path + ".values", ValidationReason.OutOfRange, $"'{f.Operator}' takes {min}–{max} values.");
        }
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i];
            if (v.IsNull || (f.Operator is FieldOperator.Contains or FieldOperator.StartsWith && v.Kind != PropertyValueKind.Text))
            {
                throw new MarketingValidationException($"{path}.values[{i}]", ValidationReason.InvalidFormat,
                    "Literals are text, numbers or booleans; contains and starts with take text.");
            }
            if (v.Kind == PropertyValueKind.Text)
            {
                ValidateText(v.AsString()!, $"{path}.values[{i}]");
            }
        }
    }

    private static void ValidateEnum<T>(T value, string path) where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            throw new MarketingValidationException(path, ValidationReason.OutOfRange, "Unknown operator or function.");
        }
    }

    private static void ValidateEventType(EventType type, string path)
    {
        if (type.Value is null)
        {
            throw new MarketingValidationException(path + ".eventType", ValidationReason.Missing, "An event type is required.");
        }
    }

    internal static void ValidateName(string? name, string path)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 128 || name.Any(c => c is '`' || char.IsControl(c)))
        {
            throw new MarketingValidationException(path, ValidationReason.InvalidFormat, "Field names are 1–128 characters without backticks or control characters.");
        }
        ValidateText(name, path);
    }

    internal static void ValidateSegmentId(string? id, string path)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':'))
        {
            throw new MarketingValidationException(path, ValidationReason.InvalidFormat, "Segment ids are 1–64 characters of ASCII letters, digits, '_', '-', '.' or ':'.");
        }
    }

    private static void ValidateWindow(TimeWindow? window, string path)
    {
        if (window is null)
        {
            return;
        }
        if (window.Last is { } last)
        {
            if (window.From is not null || window.To is not null || last <= TimeSpan.Zero || last > MaxWindow || last.Ticks % TimeSpan.TicksPerSecond != 0)
            {
                throw new MarketingValidationException(path, ValidationReason.OutOfRange, "A rolling window is a positive whole number of seconds up to 36525 days, without a fixed range.");
            }
        }
        else if (window.From is not { } from || window.To is not { } to || from >= to)
        {
            throw new MarketingValidationException(path, ValidationReason.Inconsistent, "A fixed window needs both ends, the start before the end.");
        }
    }

    // ---------------------------------------------------------------- lexer

    private enum TokenKind { End, Identifier, QuotedIdentifier, String, Number, Duration, LParen, RParen, Comma, Eq, NotEq, Lt, LtEq, Gt, GtEq }

    private readonly record struct Token(TokenKind Kind, string Text, int Position, int Line, int Column, decimal Number = 0m, TimeSpan Duration = default)
    {
        public bool IsKeyword(string keyword) => Kind == TokenKind.Identifier && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);

        public string Describe() => Kind switch
        {
            TokenKind.End => "end of input",
            TokenKind.Identifier when Reserved.Contains(Text) => $"'{Text.ToLowerInvariant()}'",
            TokenKind.Identifier or TokenKind.QuotedIdentifier => "a name",
            TokenKind.String => "a string literal",
            TokenKind.Number => "a number",
            TokenKind.Duration => "a duration",
            _ => $"'{Text}'",
        };
    }

    private static class Lexer
    {
        public static List<Token> Tokenize(string text)
        {
            var tokens = new List<Token>();
            int i = 0, line = 1, lineStart = 0;
            while (true)
            {
                while (i < text.Length && text[i] is ' ' or '\t' or '\r' or '\n')
                {
                    if (text[i] == '\n')
                    {
                        line++;
                        lineStart = i + 1;
                    }
                    i++;
                }
                var col = i - lineStart + 1;
                if (i >= text.Length)
                {
                    tokens.Add(new Token(TokenKind.End, "", i, line, col));
                    return tokens;
                }
                var c = text[i];
                var start = i;
                Token Sym(TokenKind k, int len)
                {
                    i += len;
                    return new Token(k, text.Substring(start, len), start, line, col);
                }
                char Next() => i + 1 < text.Length ? text[i + 1] : '\0';
                switch (c)
                {
                    case '(': tokens.Add(Sym(TokenKind.LParen, 1)); continue;
                    case ')': tokens.Add(Sym(TokenKind.RParen, 1)); continue;
                    case ',': tokens.Add(Sym(TokenKind.Comma, 1)); continue;
                    case '=': tokens.Add(Sym(TokenKind.Eq, Next() == '=' ? 2 : 1)); continue;
                    case '!' when Next() == '=': tokens.Add(Sym(TokenKind.NotEq, 2)); continue;
                    case '<' when Next() == '>': tokens.Add(Sym(TokenKind.NotEq, 2)); continue;
                    case '<': tokens.Add(Next() == '=' ? Sym(TokenKind.LtEq, 2) : Sym(TokenKind.Lt, 1)); continue;
                    case '>': tokens.Add(Next() == '=' ? Sym(TokenKind.GtEq, 2) : Sym(TokenKind.Gt, 1)); continue;
                    case '"':
                        tokens.Add(ReadString(text, ref i, line, col));
                        continue;
                    case '`':
                        {
                            var end = i + 1;
                            while (end < text.Length && text[end] != '`' && !char.IsControl(text[end]))
                            {
                                end++;
                            }
                            if (end >= text.Length || text[end] != '`' || end == i + 1 || end - i - 1 > 128)
                            {
                                throw new SegmentParseException(line, col, start, ["a closing '`' after a name of 1–128 characters without control characters"],
                                    end == i + 1 ? "an empty quoted name" : "an unterminated or invalid quoted name");
                            }
                            var quoted = text[(i + 1)..end];
                            if (FirstUnpairedSurrogate(quoted) is var bad and >= 0)
                            {
                                throw new SegmentParseException(line, col + 1 + bad, start + 1 + bad, ["a name of well-formed UTF-16"], "an unpaired surrogate");
                            }
                            tokens.Add(new Token(TokenKind.QuotedIdentifier, quoted, start, line, col));
                            i = end + 1;
                            continue;
                        }
                }
                if (char.IsAsciiDigit(c) || (c == '-' && char.IsAsciiDigit(Next())))
                {
                    tokens.Add(ReadNumber(text, ref i, line, col));
                    continue;
                }
                if (char.IsLetter(c) || c == '_')
                {
                    while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '_' or '.'))
                    {
                        i++;
                    }
                    tokens.Add(new Token(TokenKind.Identifier, text[start..i], start, line, col));
                    continue;
                }
                throw new SegmentParseException(line, col, start, ["a name", "a literal", "an operator", "'('", "')'"], DescribeChar(c));
            }
        }

        private static string DescribeChar(char c) =>
            c < 0x20 || c >= 0x7f ? $"character U+{(int)c:X4}" : $"character '{c}'";

        private static Token ReadString(string text, ref int i, int line, int col)
        {
            var start = i;
            var sb = new StringBuilder();
            // A literal must be well-formed UTF-16: JSON, UTF-8 and every store replace an unpaired
            // surrogate by U+FFFD, so a rule holding one would not read back as it was parsed.
            // pendingHigh is the source offset of a high surrogate still waiting for its low half.
            var pendingHigh = -1;
            SegmentParseException Unpaired(int at) =>
                new(line, col + (at - start), at, ["a string of well-formed UTF-16 (no unpaired surrogate)"], "an unpaired surrogate in a string literal");
            void Put(char ch, int at)
            {
                if (pendingHigh >= 0 && !char.IsLowSurrogate(ch))
                {
                    throw Unpaired(pendingHigh);
                }
                if (char.IsLowSurrogate(ch) && pendingHigh < 0)
                {
                    throw Unpaired(at);
                }
                pendingHigh = char.IsHighSurrogate(ch) ? at : -1;
                sb.Append(ch);
            }
            i++;
            while (true)
            {
                if (i >= text.Length)
                {
                    throw new SegmentParseException(line, col, start, ["a closing '\"'"], "an unterminated string literal");
                }
                var c = text[i];
                if (c == '"')
                {
                    if (pendingHigh >= 0)
                    {
                        throw Unpaired(pendingHigh);
                    }
                    i++;
                    return new Token(TokenKind.String, sb.ToString(), start, line, col);
                }
                if (c == '\n')
                {
                    throw new SegmentParseException(line, col, start, ["a closing '\"' before the end of the line"], "an unterminated string literal");
                }
                if (c != '\\')
                {
                    Put(c, i);
                    i++;
                    continue;
                }
                var escCol = col + (i - start);
                if (i + 1 >= text.Length)
                {
                    throw new SegmentParseException(line, escCol, i, ["an escape character"], "end of input");
                }
                var e = text[i + 1];
                switch (e)
                {
                    case '"': Put('"', i); i += 2; break;
                    case '\\': Put('\\', i); i += 2; break;
                    case 'n': Put('\n', i); i += 2; break;
                    case 'r': Put('\r', i); i += 2; break;
                    case 't': Put('\t', i); i += 2; break;
                    case 'u':
                        if (i + 6 <= text.Length && ushort.TryParse(text.AsSpan(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                        {
                            Put((char)code, i);
                            i += 6;
                            break;
                        }
                        throw new SegmentParseException(line, escCol, i, ["four hexadecimal digits after '\\u'"], "an invalid escape sequence");
                    default:
                        throw new SegmentParseException(line, escCol, i, ["one of the escapes \\\" \\\\ \\n \\r \\t \\uXXXX"], "an invalid escape sequence");
                }
            }
        }

        private static Token ReadNumber(string text, ref int i, int line, int col)
        {
            var start = i;
            if (text[i] == '-')
            {
                i++;
            }
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
            if (i + 1 < text.Length && text[i] == '.' && char.IsAsciiDigit(text[i + 1]))
            {
                i++;
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    i++;
                }
            }
            var numberText = text[start..i];
            if (!decimal.TryParse(numberText, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                throw new SegmentParseException(line, col, start, ["a number within the decimal range"], "a number that is too large");
            }
            // A unit letter directly after an integer makes a duration (7d, 12h, 30m, 45s, 2w).
            if (i < text.Length && text[i] is 's' or 'm' or 'h' or 'd' or 'w' && (i + 1 >= text.Length || !(char.IsLetterOrDigit(text[i + 1]) || text[i + 1] is '_' or '.')))
            {
                var unit = text[i];
                i++;
                if (numberText.Contains('.', StringComparison.Ordinal) || numberText.StartsWith('-') || number > 3_155_760_000m)
                {
                    throw new SegmentParseException(line, col, start, ["a duration as a positive whole number with a unit (s, m, h, d, w)"], "a duration that is not a positive whole number");
                }
                var seconds = unit switch { 's' => 1m, 'm' => 60m, 'h' => 3600m, 'd' => 86400m, _ => 604800m } * number;
                if (seconds <= 0 || seconds > (decimal)MaxWindow.TotalSeconds)
                {
                    throw new SegmentParseException(line, col, start, ["a duration between 1s and 36525d"], "a duration out of range");
                }
                return new Token(TokenKind.Duration, text[start..i], start, line, col, Duration: TimeSpan.FromSeconds((long)seconds));
            }
            return new Token(TokenKind.Number, numberText, start, line, col, Number: number);
        }
    }

    // ---------------------------------------------------------------- parser

    private sealed class Parser(List<Token> tokens)
    {
        private int _index;
        private int _depth;

        // Where each node of the tree starts, to place a tree-depth error (see CheckTree).
        private readonly Dictionary<SegmentCondition, Token> _starts = new(ReferenceEqualityComparer.Instance);

        private T At<T>(T node, Token start) where T : SegmentCondition
        {
            _starts.TryAdd(node, start);
            return node;
        }

        private Token Current => tokens[_index];

        private Token Advance() => tokens[_index++];

        private SegmentParseException Error(params string[] expected) => Error(Current, expected);

        private static SegmentParseException Error(Token at, string[] expected, string? detail = null) =>
            new(at.Line, at.Column, at.Position, expected, at.Describe(), detail);

        public SegmentCondition ParseRule()
        {
            var result = ParseOr(inEvent: false);
            if (Current.Kind != TokenKind.End)
            {
                throw Error("'and'", "'or'", "end of input");
            }
            CheckTree(result, 0, tokens[0]);
            try
            {
                // Whatever parses must validate (and so store and read back): the parser's checks and
                // Validate are meant to agree; should they ever not, the rule is refused here, typed.
                Validate(result);
            }
            catch (MarketingValidationException e)
            {
                throw Error(tokens[0], ["a rule that passes validation"], e.Detail);
            }
            return result;
        }

        /// <summary>
        /// Applies the tree-depth limit of <see cref="Validate"/> while token positions are known: the
        /// parser's own count (open parentheses and <c>not</c>s) bounds recursion, but an
        /// <c>and</c>/<c>or</c> chain and the implicit <c>not</c> of <c>x not in (…)</c> add levels to
        /// the tree that it does not see.
        /// </summary>
        private void CheckTree(SegmentCondition node, int depth, Token at)
        {
            if (_starts.TryGetValue(node, out var start))
            {
                at = start;
            }
            if (depth > MaxNesting)
            {
                throw Error(at, [$"at most {MaxNesting} levels of nesting"], "The rule nests too deeply.");
            }
            switch (node)
            {
                case AndCondition a:
                    foreach (var operand in a.Operands)
                    {
                        CheckTree(operand, depth + 1, at);
                    }
                    break;
                case OrCondition o:
                    foreach (var operand in o.Operands)
                    {
                        CheckTree(operand, depth + 1, at);
                    }
                    break;
                case NotCondition n:
                    CheckTree(n.Operand, depth + 1, at);
                    break;
                case EventAggregateCondition { Filter: { } filter }:
                    CheckTree(filter, depth + 1, at);
                    break;
                case EventExistsCondition { Filter: { } filter }:
                    CheckTree(filter, depth + 1, at);
                    break;
            }
        }

        private SegmentCondition ParseOr(bool inEvent)
        {
            var start = Current;
            var first = ParseAnd(inEvent);
            if (!Current.IsKeyword("or"))
            {
                return first;
            }
            var list = new List<SegmentCondition> { first };
            while (Current.IsKeyword("or"))
            {
                Advance();
                list.Add(ParseAnd(inEvent));
            }
            return At(new OrCondition(list), start);
        }

        private SegmentCondition ParseAnd(bool inEvent)
        {
            var start = Current;
            var first = ParseUnary(inEvent);
            if (!Current.IsKeyword("and"))
            {
                return first;
            }
            var list = new List<SegmentCondition> { first };
            while (Current.IsKeyword("and"))
            {
                Advance();
                list.Add(ParseUnary(inEvent));
            }
            return At(new AndCondition(list), start);
        }

        private void Enter(Token opening)
        {
            if (++_depth > MaxNesting)
            {
                throw Error(opening, [$"at most {MaxNesting} levels of nesting"], "The rule nests too deeply.");
            }
        }

        private SegmentCondition ParseUnary(bool inEvent)
        {
            if (Current.IsKeyword("not"))
            {
                var not = Advance();
                Enter(not);
                var operand = ParseUnary(inEvent);
                _depth--;
                return At(new NotCondition(operand), not);
            }
            return ParsePrimary(inEvent);
        }

        private SegmentCondition ParsePrimary(bool inEvent)
        {
            var t = Current;
            if (t.Kind == TokenKind.LParen)
            {
                Enter(Advance());
                var inner = ParseOr(inEvent);
                _depth--;
                Expect(TokenKind.RParen, "')'", "'and'", "'or'");
                return inner;
            }
            var isCall = t.Kind == TokenKind.Identifier && tokens[_index + 1].Kind == TokenKind.LParen;
            if (isCall && !inEvent)
            {
                switch (t.Text.ToLowerInvariant())
                {
                    case "segment":
                        {
                            Advance();
                            Advance();
                            var idToken = Current;
                            var id = ExpectString("a segment id string");
                            try
                            {
                                ValidateSegmentId(id, "segmentId");
                            }
                            catch (MarketingValidationException e)
                            {
                                throw Error(idToken, ["a segment id of ASCII letters, digits, '_', '-', '.' or ':'"], e.Detail);
                            }
                            Expect(TokenKind.RParen, "')'");
                            return new SegmentReferenceCondition(id);
                        }
                    case "tag":
                        {
                            Advance();
                            Advance();
                            var tagToken = Current;
                            var tag = ExpectString("a tag string");
                            if (tag.Length == 0)
                            {
                                throw Error(tagToken, ["a non-empty tag"]);
                            }
                            Expect(TokenKind.RParen, "')'");
                            return new TagCondition(tag);
                        }
                    case "exists":
                        {
                            Advance();
                            Advance();
                            var (type, filter) = ParseEventSpec();
                            var window = ParseWindow();
                            return At(new EventExistsCondition(type, filter, window), t);
                        }
                    case "count" or "sum" or "min" or "max" or "avg":
                        return At(ParseAggregate(), t);
                }
            }
            if (t.Kind == TokenKind.QuotedIdentifier || (t.Kind == TokenKind.Identifier && !Reserved.Contains(t.Text)) ||
                (t.Kind == TokenKind.Identifier && !isCall && IsFunctionName(t.Text)))
            {
                Advance();
                return ParseFieldPredicate(CheckName(t));
            }
            throw inEvent
                ? Error("a field name", "'not'", "'('")
                : Error("a trait name", "'not'", "'('", "'segment('", "'tag('", "'exists('", "an aggregate such as 'count('");
        }

        private static bool IsFunctionName(string text) =>
            text.ToLowerInvariant() is "segment" or "tag" or "exists" or "count" or "sum" or "min" or "max" or "avg";

        private EventAggregateCondition ParseAggregate()
        {
            var fn = Advance().Text.ToLowerInvariant() switch
            {
                "count" => AggregateFunction.Count,
                "sum" => AggregateFunction.Sum,
                "min" => AggregateFunction.Min,
                "max" => AggregateFunction.Max,
                _ => AggregateFunction.Avg,
            };
            Advance(); // (
            string? field = null;
            if (fn != AggregateFunction.Count)
            {
                field = ExpectName("a field name (as in 'sum(value of purchase)')");
                if (!Current.IsKeyword("of"))
                {
                    throw Error("'of'");
                }
                Advance();
            }
            var (type, filter) = ParseEventSpec();
            var window = ParseWindow();
            var opToken = Current;
            var op = opToken.Kind switch
            {
                TokenKind.Eq => ComparisonOperator.Equal,
                TokenKind.NotEq => ComparisonOperator.NotEqual,
                TokenKind.Lt => ComparisonOperator.LessThan,
                TokenKind.LtEq => ComparisonOperator.LessThanOrEqual,
                TokenKind.Gt => ComparisonOperator.GreaterThan,
                TokenKind.GtEq => ComparisonOperator.GreaterThanOrEqual,
                _ => throw (window is null
                    ? Error("'within'", "'between'", "a comparison ('=', '!=', '<', '<=', '>', '>=')")
                    : Error("a comparison ('=', '!=', '<', '<=', '>', '>=')")),
            };
            Advance();
            if (Current.Kind != TokenKind.Number)
            {
                throw Error("a number");
            }
            var threshold = Advance().Number;
            return new EventAggregateCondition(fn, type, field, filter, window, op, threshold);
        }

        private (EventType Type, SegmentCondition? Filter) ParseEventSpec()
        {
            var typeToken = Current;
            var name = ExpectName("an event type name");
            EventType type;
            try
            {
                type = new EventType(name);
            }
            catch (MarketingValidationException e)
            {
                throw Error(typeToken, ["an event type name (a letter, then letters, digits, '_' or '.')"], e.Detail);
            }
            SegmentCondition? filter = null;
            if (Current.IsKeyword("where"))
            {
                Enter(Advance());
                filter = ParseOr(inEvent: true);
                _depth--;
                Expect(TokenKind.RParen, "')'", "'and'", "'or'");
            }
            else
            {
                Expect(TokenKind.RParen, "'where'", "')'");
            }
            return (type, filter);
        }

        private TimeWindow? ParseWindow()
        {
            if (Current.IsKeyword("within"))
            {
                Advance();
                if (Current.Kind != TokenKind.Duration)
                {
                    throw Error("a duration such as 7d, 12h, 30m, 45s or 2w");
                }
                return TimeWindow.Within(Advance().Duration);
            }
            if (Current.IsKeyword("between"))
            {
                Advance();
                var fromToken = Current;
                var from = ExpectDate();
                if (!Current.IsKeyword("and"))
                {
                    throw Error("'and'");
                }
                Advance();
                var to = ExpectDate();
                if (from >= to)
                {
                    throw Error(fromToken, ["a start date before the end date"], "The window is empty.");
                }
                return TimeWindow.Between(from, to);
            }
            return null;
        }

        private DateTimeOffset ExpectDate()
        {
            var t = Current;
            if (t.Kind != TokenKind.String)
            {
                throw Error("a date string such as \"2025-01-31\" or \"2025-01-31T08:00:00+08:00\"");
            }
            if (!DateTimeOffset.TryParse(t.Text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
            {
                throw Error(t, ["a date string such as \"2025-01-31\" or \"2025-01-31T08:00:00+08:00\""], "The string is not a date.");
            }
            Advance();
            return date;
        }

        private SegmentCondition ParseFieldPredicate(string field)
        {
            var t = Current;
            FieldCondition Single(FieldOperator op)
            {
                Advance();
                return new FieldCondition(field, op, [ExpectLiteral()]);
            }
            switch (t.Kind)
            {
                case TokenKind.Eq: return Single(FieldOperator.Equal);
                case TokenKind.NotEq: return Single(FieldOperator.NotEqual);
                case TokenKind.Lt: return Single(FieldOperator.LessThan);
                case TokenKind.LtEq: return Single(FieldOperator.LessThanOrEqual);
                case TokenKind.Gt: return Single(FieldOperator.GreaterThan);
                case TokenKind.GtEq: return Single(FieldOperator.GreaterThanOrEqual);
            }
            if (t.IsKeyword("is"))
            {
                Advance();
                var negated = false;
                if (Current.IsKeyword("not"))
                {
                    Advance();
                    negated = true;
                }
                if (!Current.IsKeyword("set"))
                {
                    throw negated ? Error("'set'") : Error("'set'", "'not'");
                }
                Advance();
                return new FieldCondition(field, negated ? FieldOperator.IsNotSet : FieldOperator.IsSet, []);
            }
            if (t.IsKeyword("not"))
            {
                Advance();
                var inner = ParseSetOrText(field) ?? throw Error("'between'", "'in'", "'contains'", "'starts'");
                return At(new NotCondition(inner), t);
            }
            return ParseSetOrText(field) ?? throw Error("a comparison ('=', '!=', '<', '<=', '>', '>=')", "'between'", "'in'", "'contains'", "'starts with'", "'is'", "'not'");
        }

        private FieldCondition? ParseSetOrText(string field)
        {
            var t = Current;
            if (t.IsKeyword("between"))
            {
                Advance();
                var low = ExpectLiteral();
                if (!Current.IsKeyword("and"))
                {
                    throw Error("'and'");
                }
                Advance();
                var high = ExpectLiteral();
                return new FieldCondition(field, FieldOperator.Between, [low, high]);
            }
            if (t.IsKeyword("in"))
            {
                Advance();
                Expect(TokenKind.LParen, "'('");
                var values = new List<PropertyValue> { ExpectLiteral() };
                while (Current.Kind == TokenKind.Comma)
                {
                    Advance();
                    if (values.Count >= 1024)
                    {
                        throw Error(Current, ["at most 1024 values"], "The list is too long.");
                    }
                    values.Add(ExpectLiteral());
                }
                Expect(TokenKind.RParen, "','", "')'");
                return new FieldCondition(field, FieldOperator.In, values);
            }
            if (t.IsKeyword("contains"))
            {
                Advance();
                return new FieldCondition(field, FieldOperator.Contains, [ExpectString("a string literal")]);
            }
            if (t.IsKeyword("starts"))
            {
                Advance();
                if (!Current.IsKeyword("with"))
                {
                    throw Error("'with'");
                }
                Advance();
                return new FieldCondition(field, FieldOperator.StartsWith, [ExpectString("a string literal")]);
            }
            return null;
        }

        private PropertyValue ExpectLiteral()
        {
            var t = Current;
            switch (t.Kind)
            {
                case TokenKind.String: Advance(); return PropertyValue.From(t.Text);
                case TokenKind.Number: Advance(); return PropertyValue.From(t.Number);
            }
            if (t.IsKeyword("true") || t.IsKeyword("false"))
            {
                Advance();
                return PropertyValue.From(t.IsKeyword("true"));
            }
            throw Error("a string literal", "a number", "'true'", "'false'");
        }

        private string ExpectString(string expected)
        {
            if (Current.Kind != TokenKind.String)
            {
                throw Error(expected);
            }
            return Advance().Text;
        }

        private string ExpectName(string expected)
        {
            var t = Current;
            if (t.Kind == TokenKind.QuotedIdentifier || (t.Kind == TokenKind.Identifier && !Reserved.Contains(t.Text)))
            {
                Advance();
                return CheckName(t);
            }
            throw Error(expected);
        }

        private static string CheckName(Token t)
        {
            if (t.Text.Length > 128)
            {
                throw Error(t, ["a name of at most 128 characters"], "The name is too long.");
            }
            return t.Text;
        }

        private void Expect(TokenKind kind, params string[] expected)
        {
            if (Current.Kind != kind)
            {
                throw Error(expected);
            }
            Advance();
        }
    }

    // ---------------------------------------------------------------- formatter

    private sealed class Formatter(StringBuilder sb, bool redact)
    {
        public void Write(SegmentCondition c)
        {
            switch (c)
            {
                case OrCondition o:
                    Join(o.Operands, " or ", child => child is OrCondition);
                    break;
                case AndCondition a:
                    Join(a.Operands, " and ", child => child is OrCondition or AndCondition);
                    break;
                case NotCondition n:
                    sb.Append("not ");
                    Nested(n.Operand, n.Operand is OrCondition or AndCondition);
                    break;
                case FieldCondition f:
                    WriteField(f);
                    break;
                case TagCondition t:
                    sb.Append("tag(");
                    WriteString(t.Tag);
                    sb.Append(')');
                    break;
                case SegmentReferenceCondition s:
                    sb.Append("segment(");
                    WriteString(s.SegmentId);
                    sb.Append(')');
                    break;
                case EventExistsCondition e:
                    sb.Append("exists(");
                    WriteEventSpec(e.EventType, e.Filter);
                    WriteWindow(e.Window);
                    break;
                case EventAggregateCondition g:
                    sb.Append(g.Function switch
                    {
                        AggregateFunction.Count => "count(",
                        AggregateFunction.Sum => "sum(",
                        AggregateFunction.Min => "min(",
                        AggregateFunction.Max => "max(",
                        _ => "avg(",
                    });
                    if (g.Field is not null)
                    {
                        WriteName(g.Field);
                        sb.Append(" of ");
                    }
                    WriteEventSpec(g.EventType, g.Filter);
                    WriteWindow(g.Window);
                    sb.Append(' ').Append(g.Operator switch
                    {
                        ComparisonOperator.Equal => "=",
                        ComparisonOperator.NotEqual => "!=",
                        ComparisonOperator.LessThan => "<",
                        ComparisonOperator.LessThanOrEqual => "<=",
                        ComparisonOperator.GreaterThan => ">",
                        _ => ">=",
                    }).Append(' ').Append(g.Threshold.ToString(CultureInfo.InvariantCulture));
                    break;
            }
        }

        private void Join(IReadOnlyList<SegmentCondition> operands, string separator, Func<SegmentCondition, bool> needsParens)
        {
            for (var i = 0; i < operands.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(separator);
                }
                Nested(operands[i], needsParens(operands[i]));
            }
        }

        private void Nested(SegmentCondition c, bool parens)
        {
            if (parens)
            {
                sb.Append('(');
            }
            Write(c);
            if (parens)
            {
                sb.Append(')');
            }
        }

        private void WriteEventSpec(EventType type, SegmentCondition? filter)
        {
            WriteName(type.Value);
            if (filter is not null)
            {
                sb.Append(" where ");
                Write(filter);
            }
            sb.Append(')');
        }

        private void WriteWindow(TimeWindow? window)
        {
            if (window is null)
            {
                return;
            }
            if (window.Last is { } last)
            {
                var seconds = (long)last.TotalSeconds;
                sb.Append(" within ").Append(
                    seconds % 86400 == 0 ? $"{seconds / 86400}d" :
                    seconds % 3600 == 0 ? $"{seconds / 3600}h" :
                    seconds % 60 == 0 ? $"{seconds / 60}m" : $"{seconds}s");
                return;
            }
            sb.Append(" between ");
            WriteString(window.From!.Value.ToString("O", CultureInfo.InvariantCulture));
            sb.Append(" and ");
            WriteString(window.To!.Value.ToString("O", CultureInfo.InvariantCulture));
        }

        private void WriteField(FieldCondition f)
        {
            WriteName(f.Field);
            switch (f.Operator)
            {
                case FieldOperator.IsSet: sb.Append(" is set"); return;
                case FieldOperator.IsNotSet: sb.Append(" is not set"); return;
                case FieldOperator.Between:
                    sb.Append(" between ");
                    WriteLiteral(f.Values[0]);
                    sb.Append(" and ");
                    WriteLiteral(f.Values[1]);
                    return;
                case FieldOperator.In:
                    sb.Append(" in (");
                    for (var i = 0; i < f.Values.Count; i++)
                    {
                        if (i > 0)
                        {
                            sb.Append(", ");
                        }
                        WriteLiteral(f.Values[i]);
                    }
                    sb.Append(')');
                    return;
            }
            sb.Append(f.Operator switch
            {
                FieldOperator.Equal => " = ",
                FieldOperator.NotEqual => " != ",
                FieldOperator.LessThan => " < ",
                FieldOperator.LessThanOrEqual => " <= ",
                FieldOperator.GreaterThan => " > ",
                FieldOperator.GreaterThanOrEqual => " >= ",
                FieldOperator.Contains => " contains ",
                _ => " starts with ",
            });
            WriteLiteral(f.Values.Count > 0 ? f.Values[0] : PropertyValue.Null);
        }

        private void WriteName(string name)
        {
            var plain = name.Length > 0 && (char.IsLetter(name[0]) || name[0] == '_') &&
                name.All(ch => char.IsLetterOrDigit(ch) || ch is '_' or '.') && !Reserved.Contains(name);
            if (plain)
            {
                sb.Append(name);
            }
            else
            {
                sb.Append('`').Append(name).Append('`');
            }
        }

        private void WriteLiteral(PropertyValue value)
        {
            switch (value.Kind)
            {
                case PropertyValueKind.Text: WriteString(value.AsString()!); break;
                case PropertyValueKind.Number: sb.Append(redact ? "<number>" : value.AsNumber()!.Value.ToString(CultureInfo.InvariantCulture)); break;
                case PropertyValueKind.Boolean: sb.Append(value.AsBoolean()!.Value ? "true" : "false"); break;
                default: sb.Append("null"); break;
            }
        }

        private void WriteString(string text)
        {
            if (redact)
            {
                sb.Append("<text>");
                return;
            }
            sb.Append('"');
            foreach (var ch in text)
            {
                switch (ch)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (char.IsControl(ch))
                        {
                            sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            sb.Append(ch);
                        }
                        break;
                }
            }
            sb.Append('"');
        }
    }
}
