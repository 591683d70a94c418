using System.Xml;

namespace Marketing.Sdk.Platforms.WeChat.Callbacks;

/// <summary>
/// A callback's XML, read safely: <see cref="XmlReader"/> with DTDs prohibited (so no entity expansion and no
/// external entities), no resolver, a bound on the characters read, and only the shapes WeChat sends — the
/// root's leaf elements as fields (the first of a name wins, as in the official samples) and, for a nested
/// element such as <c>SubscribeMsgSentEvent</c>, its item elements as lists of fields.
/// </summary>
internal sealed class WeChatCallbackXml
{
    private const int MaxFields = 128;
    private const int MaxItems = 64;

    private readonly Dictionary<string, string> _fields = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<IReadOnlyDictionary<string, string>>> _lists = new(StringComparer.Ordinal);

    private WeChatCallbackXml()
    {
    }

    /// <summary>A root field's text, or <see langword="null"/>.</summary>
    public string? this[string name] => _fields.GetValueOrDefault(name);

    /// <summary>The items of a nested element (e.g. the <c>List</c> entries of <c>SubscribeMsgSentEvent</c>).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> List(string name) =>
        _lists.TryGetValue(name, out var items) ? items : [];

    /// <summary>Parses a body (bytes as received).</summary>
    /// <exception cref="WeChatCallbackRefusal">Malformed, a DTD, or beyond the limits.</exception>
    public static WeChatCallbackXml Parse(ReadOnlyMemory<byte> body, int maxCharacters)
    {
        using var stream = new MemoryStream(body.ToArray(), writable: false);
        return Parse(XmlReader.Create(stream, Settings(maxCharacters)));
    }

    /// <summary>Parses a decrypted message.</summary>
    /// <exception cref="WeChatCallbackRefusal">Malformed, a DTD, or beyond the limits.</exception>
    public static WeChatCallbackXml Parse(string text, int maxCharacters)
    {
        using var reader = new StringReader(text);
        return Parse(XmlReader.Create(reader, Settings(maxCharacters)));
    }

    private static XmlReaderSettings Settings(int maxCharacters) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = maxCharacters,
        MaxCharactersFromEntities = 1024,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = true,
    };

    private static WeChatCallbackXml Parse(XmlReader reader)
    {
        using (reader)
        {
            try
            {
                var xml = new WeChatCallbackXml();
                reader.MoveToContent();
                if (reader.NodeType != XmlNodeType.Element)
                {
                    throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.Malformed);
                }
                if (reader.IsEmptyElement)
                {
                    return xml;
                }
                reader.ReadStartElement();
                while (reader.NodeType != XmlNodeType.EndElement)
                {
                    if (reader.NodeType != XmlNodeType.Element)
                    {
                        reader.Skip();
                        continue;
                    }
                    var name = reader.LocalName;
                    if (xml._fields.Count + xml._lists.Count >= MaxFields)
                    {
                        throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.Malformed);
                    }
                    if (reader.IsEmptyElement)
                    {
                        xml._fields.TryAdd(name, "");
                        reader.Read();
                        continue;
                    }
                    reader.ReadStartElement();
                    if (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.EndElement or XmlNodeType.SignificantWhitespace)
                    {
                        var text = ReadText(reader);
                        xml._fields.TryAdd(name, text);
                        continue;
                    }
                    var items = new List<IReadOnlyDictionary<string, string>>();
                    while (reader.NodeType != XmlNodeType.EndElement)
                    {
                        if (reader.NodeType == XmlNodeType.Element && !reader.IsEmptyElement && items.Count < MaxItems)
                        {
                            items.Add(ReadItem(reader));
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                    reader.ReadEndElement();
                    xml._lists.TryAdd(name, items);
                }
                return xml;
            }
            catch (XmlException)
            {
                throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.Malformed);
            }
        }
    }

    /// <summary>Reads the text of a leaf element whose start tag was consumed, through its end tag.</summary>
    private static string ReadText(XmlReader reader)
    {
        var text = "";
        while (reader.NodeType != XmlNodeType.EndElement)
        {
            if (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace)
            {
                text += reader.Value;
                reader.Read();
            }
            else
            {
                // Mixed content is not a WeChat shape.
                throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.Malformed);
            }
        }
        reader.ReadEndElement();
        return text;
    }

    /// <summary>Reads one item (e.g. <c>&lt;List&gt;</c>) of leaf fields; deeper elements are skipped.</summary>
    private static Dictionary<string, string> ReadItem(XmlReader reader)
    {
        var item = new Dictionary<string, string>(StringComparer.Ordinal);
        reader.ReadStartElement();
        while (reader.NodeType != XmlNodeType.EndElement)
        {
            if (reader.NodeType != XmlNodeType.Element || item.Count >= MaxFields)
            {
                reader.Skip();
                continue;
            }
            var name = reader.LocalName;
            if (reader.IsEmptyElement)
            {
                item.TryAdd(name, "");
                reader.Read();
                continue;
            }
            reader.ReadStartElement();
            if (reader.NodeType == XmlNodeType.Element)
            {
                while (reader.NodeType != XmlNodeType.EndElement)
                {
                    reader.Skip();
                }
                reader.ReadEndElement();
                continue;
            }
            item.TryAdd(name, ReadText(reader));
        }
        reader.ReadEndElement();
        return item;
    }
}
