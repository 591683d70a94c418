using System.IO.Compression;
using System.Text;

namespace Marketing.Sdk.Platforms.OceanEngine;

/// <summary>
/// Builds the DMP data-source upload file: a zip whose text entry holds one base64 string per line, each the protobuf
/// (proto2) serialisation of a <c>DmpData { repeated IdItem idList = 1; }</c> with at most 10 000 ids, where
/// <c>IdItem { optional uint32 timestamp = 1; required DataType dataType = 2; required string id = 3; }</c> and
/// <c>MOBILE_HASH_SHA256 = 6</c>. Source: the toutiao_dmp.proto of the DMP upload-format appendix as carried by
/// MrNullPoint/OceanEngineApi <c>pb/toutiao_dmp.proto</c>; bububa/oceanengine <c>api/dmp/datasource/file_upload.go</c> (protobuf,
/// zipped, ≤ 50 MB).
/// </summary>
public static class OceanEngineDmpFile
{
    /// <summary>The <c>DataType</c> of a SHA-256 mobile number.</summary>
    public const int MobileHashSha256 = 6;

    /// <summary>Ids per line (<c>DmpData.idList</c> may hold at most 10 000).</summary>
    public const int MaxIdsPerLine = 10_000;

    /// <summary>The most bytes Ocean Engine accepts per uploaded file (50 MB).</summary>
    public const int MaxFileBytes = 50 * 1024 * 1024;

    /// <summary>The zip with the ids (lower-case hex digests) of one data type.</summary>
    /// <param name="ids">The ids.</param>
    /// <param name="dataType">The <c>DataType</c> (default <see cref="MobileHashSha256"/>).</param>
    public static byte[] Build(IReadOnlyCollection<string> ids, int dataType = MobileHashSha256)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        foreach (var line in ids.Chunk(MaxIdsPerLine))
        {
            text.Append(Convert.ToBase64String(DmpData(line, dataType))).Append('\n');
        }
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var entry = zip.CreateEntry("data.txt", CompressionLevel.Optimal);
            // A fixed time makes the same ids give the same bytes (and the same MD5 signature).
            entry.LastWriteTime = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
            using var stream = entry.Open();
            var bytes = Encoding.UTF8.GetBytes(text.ToString());
            stream.Write(bytes);
        }
        return buffer.ToArray();
    }

    /// <summary>The protobuf bytes of one <c>DmpData</c>.</summary>
    internal static byte[] DmpData(IEnumerable<string> ids, int dataType)
    {
        using var message = new MemoryStream();
        foreach (var id in ids)
        {
            using var item = new MemoryStream();
            WriteVarint(item, (2 << 3) | 0);
            WriteVarint(item, (ulong)dataType);
            var idBytes = Encoding.UTF8.GetBytes(id);
            WriteVarint(item, (3 << 3) | 2);
            WriteVarint(item, (ulong)idBytes.Length);
            item.Write(idBytes);
            WriteVarint(message, (1 << 3) | 2);
            WriteVarint(message, (ulong)item.Length);
            item.WriteTo(message);
        }
        return message.ToArray();
    }

    private static void WriteVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        stream.WriteByte((byte)value);
    }
}
