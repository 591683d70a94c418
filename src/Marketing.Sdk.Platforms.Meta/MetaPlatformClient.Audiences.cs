using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Marketing.Sdk.Platforms.Meta;

public sealed partial class MetaPlatformClient
{
    /// <inheritdoc />
    public int MaxMembersPerRequest => _options.AudienceBatchSize;

    /// <inheritdoc />
    /// <remarks>
    /// Members to add or to replace with are checked against the consent gate for
    /// <see cref="ConsentPurpose.AdTargeting"/>; members to <em>remove</em> are not (removing someone
    /// who withdrew consent is what the withdrawal requires). Uploads above
    /// <see cref="MaxMembersPerRequest"/> rows, and every replace, run in one upload session.
    /// </remarks>
    /// <exception cref="PlatformRequestException">The audience id is not a Graph id, or a replace would leave the audience empty.</exception>
    public async ValueTask<AudienceSyncResult> SyncAsync(string audienceId, AudienceOperation operation, IReadOnlyList<AudienceMember> members, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (!IsGraphId(audienceId))
        {
            throw new PlatformRequestException(PlatformId, nameof(audienceId), "a custom audience id is a numeric Graph id");
        }
        if (operation is not (AudienceOperation.Add or AudienceOperation.Remove or AudienceOperation.Replace))
        {
            throw new ArgumentOutOfRangeException(nameof(operation));
        }
        var withheld = 0;
        IEnumerable<AudienceMember> allowed = members;
        if (operation != AudienceOperation.Remove)
        {
            var decision = await _consent.FilterAsync(members.Select(m => m.CustomerId), ConsentPurpose.AdTargeting, Channel.Meta, cancellationToken).ConfigureAwait(false);
            var ok = decision.Allowed.ToHashSet();
            allowed = members.Where(m => ok.Contains(m.CustomerId));
            withheld = members.Count(m => !ok.Contains(m.CustomerId));
        }

        var rows = new List<string?[]>(members.Count);
        var invalid = 0;
        var used = new bool[MetaMatching.AudienceKeys.Length];
        foreach (var member in allowed)
        {
            var row = new string?[MetaMatching.AudienceKeys.Length];
            if (MetaMatching.PrepareAudienceRow(member.Match, row) == 0)
            {
                invalid++;
                continue;
            }
            for (var k = 0; k < row.Length; k++)
            {
                used[k] |= row[k] is not null;
            }
            rows.Add(row);
        }
        if (rows.Count == 0)
        {
            if (operation == AudienceOperation.Replace)
            {
                throw new PlatformRequestException(PlatformId, nameof(members),
                    "no member can be sent (consent or customer information missing); replacing would empty the audience — remove members explicitly instead");
            }
            return new AudienceSyncResult(operation, 0, invalid, withheld, 0);
        }

        var keys = Enumerable.Range(0, used.Length).Where(k => used[k]).ToArray();
        var chunks = rows.Chunk(_options.AudienceBatchSize).ToList();
        var useSession = operation == AudienceOperation.Replace || chunks.Count > 1;
        var sessionId = useSession ? NewSessionId() : 0;
        var (method, edge) = operation switch
        {
            AudienceOperation.Add => (HttpMethod.Post, "users"),
            AudienceOperation.Remove => (HttpMethod.Delete, "users"),
            _ => (HttpMethod.Post, "usersreplace"),
        };
        var path = Path(audienceId, edge);
        var requests = 0;
        var remoteInvalid = 0;
        for (var b = 0; b < chunks.Count; b++)
        {
            var fields = new List<KeyValuePair<string, string>>(2) { new("payload", AudiencePayload(keys, chunks[b])) };
            if (useSession)
            {
                var session = new AudienceSession(sessionId, b + 1, b == chunks.Count - 1, rows.Count);
                fields.Add(new("session", JsonSerializer.Serialize(session, MetaJsonContext.Default.AudienceSession)));
            }
            var rowsInBatch = chunks[b].Length;
            // An answer that does not say it received this batch's rows is not a success.
            var response = await SendAsync($"audiences.{operation.ToString().ToLowerInvariant()}", () => Form(method, path, fields), MetaJsonContext.Default.AudienceUploadResponse, cancellationToken,
                r => r.NumReceived == rowsInBatch && (r.NumInvalidEntries is null || (r.NumInvalidEntries >= 0 && r.NumInvalidEntries <= rowsInBatch))).ConfigureAwait(false);
            requests++;
            remoteInvalid += response.NumInvalidEntries ?? 0;
        }
        LogAudienceSynced(Logger, operation, rows.Count, invalid + remoteInvalid, withheld, requests);
        return new AudienceSyncResult(operation, rows.Count, invalid + remoteInvalid, withheld, requests,
            useSession ? sessionId.ToString(CultureInfo.InvariantCulture) : null);
    }

    private static long NewSessionId()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return Math.Max(1, BitConverter.ToInt64(bytes) & long.MaxValue);
    }

    /// <summary>The <c>payload</c> parameter: <c>{"schema": …, "data": …}</c>; one e-mail or phone key uses the single-key form (<c>EMAIL_SHA256</c> with a flat list).</summary>
    internal static string AudiencePayload(int[] keys, IReadOnlyList<string?[]> rows)
    {
        var buffer = new ArrayBufferWriter<byte>(rows.Count * keys.Length * 70 + 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            var single = keys.Length == 1 && keys[0] is 0 or 1 ? (keys[0] == 0 ? "EMAIL_SHA256" : "PHONE_SHA256") : null;
            if (single is not null)
            {
                writer.WriteString("schema", single);
                writer.WriteStartArray("data");
                foreach (var row in rows)
                {
                    writer.WriteStringValue(row[keys[0]]);
                }
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteStartArray("schema");
                foreach (var k in keys)
                {
                    writer.WriteStringValue(MetaMatching.AudienceKeys[k]);
                }
                writer.WriteEndArray();
                writer.WriteStartArray("data");
                foreach (var row in rows)
                {
                    writer.WriteStartArray();
                    foreach (var k in keys)
                    {
                        writer.WriteStringValue(row[k] ?? "");
                    }
                    writer.WriteEndArray();
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
