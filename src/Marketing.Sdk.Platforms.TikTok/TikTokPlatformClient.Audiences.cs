using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Platforms.TikTok;

/// <summary>A customer-file audience created on TikTok.</summary>
/// <param name="AudienceId">TikTok's <c>custom_audience_id</c>.</param>
/// <param name="Upload">What was uploaded.</param>
public sealed record TikTokAudienceCreated(string AudienceId, AudienceSyncResult Upload);

public sealed partial class TikTokPlatformClient
{
    /// <summary>Hashed members per uploaded file (<see cref="TikTokPlatformOptions.AudienceMembersPerFile"/>); one sync may upload several files.</summary>
    public int MaxMembersPerRequest => _options.AudienceMembersPerFile;

    private string CalculateType => _options.AudienceMatchKey == TikTokAudienceMatchKey.Phone ? "PHONE_SHA256" : "EMAIL_SHA256";

    /// <summary>
    /// Adds (<c>APPEND</c>), removes (<c>REMOVE</c>) or replaces (<c>REPLACE</c>) the members of a TikTok
    /// customer-file audience: checks <see cref="ConsentPurpose.AdTargeting"/> per customer, hashes the
    /// audience's match key (<see cref="TikTokPlatformOptions.AudienceMatchKey"/>: email, or phone in E.164
    /// with '+', SHA-256), uploads the hashes as CSV files to <c>/dmp/custom_audience/file/upload/</c> with
    /// their MD5 as <c>file_signature</c>, then applies them with <c>/dmp/custom_audience/update/</c>.
    /// </summary>
    /// <param name="audienceId">TikTok's <c>custom_audience_id</c>.</param>
    /// <param name="operation">What to do.</param>
    /// <param name="members">The members.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<AudienceSyncResult> SyncAsync(string audienceId, AudienceOperation operation, IReadOnlyList<AudienceMember> members, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(audienceId);
        ArgumentNullException.ThrowIfNull(members);
        var action = operation switch
        {
            AudienceOperation.Add => "APPEND",
            AudienceOperation.Remove => "REMOVE",
            AudienceOperation.Replace => "REPLACE",
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };
        var (hashes, invalid, withheld) = await PrepareMembersAsync(members, cancellationToken).ConfigureAwait(false);
        if (hashes.Count == 0)
        {
            // Nothing to send (TikTok refuses empty files; an audience cannot be emptied by replacement).
            return new AudienceSyncResult(operation, 0, invalid, withheld, 0);
        }
        var paths = await UploadAsync(hashes, cancellationToken).ConfigureAwait(false);
        var request = new AudienceUpdateRequest(_options.AdvertiserId, audienceId, action, paths);
        await PostAsync("audiences.update", "dmp/custom_audience/update/", request, TikTokJsonContext.Default.AudienceUpdateRequest, cancellationToken).ConfigureAwait(false);
        LogAudienceSync(Logger, paths.Count, hashes.Count, action, invalid, withheld);
        return new AudienceSyncResult(operation, hashes.Count, invalid, withheld, paths.Count + 1);
    }

    /// <summary>
    /// Creates a customer-file audience from members (consent-checked and hashed as in <see cref="SyncAsync"/>)
    /// with <c>/dmp/custom_audience/create/</c>.
    /// </summary>
    /// <param name="name">The audience name (at most 128 characters).</param>
    /// <param name="members">The first members (at least one must be sendable).</param>
    /// <param name="retentionInDays">Days to keep the audience (1–365), or <see langword="null"/> for TikTok's default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformRequestException">No member could be sent, or the name or retention is invalid.</exception>
    public async ValueTask<TikTokAudienceCreated> CreateAudienceAsync(string name, IReadOnlyList<AudienceMember> members, int? retentionInDays = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (string.IsNullOrWhiteSpace(name) || name.Length > 128)
        {
            throw new PlatformRequestException(PlatformId, "custom_audience_name", "an audience name of 1 to 128 characters is required");
        }
        if (retentionInDays is < 1 or > 365)
        {
            throw new PlatformRequestException(PlatformId, "retention_in_days", "retention is 1 to 365 days");
        }
        var (hashes, invalid, withheld) = await PrepareMembersAsync(members, cancellationToken).ConfigureAwait(false);
        if (hashes.Count == 0)
        {
            throw new PlatformRequestException(PlatformId, "file_paths", "no member has consent and a valid match key, so there is nothing to create the audience from");
        }
        var paths = await UploadAsync(hashes, cancellationToken).ConfigureAwait(false);
        var request = new AudienceCreateRequest(_options.AdvertiserId, name, CalculateType, paths, retentionInDays);
        var response = await PostAsync("audiences.create", "dmp/custom_audience/create/", request, TikTokJsonContext.Default.AudienceCreateRequest, cancellationToken).ConfigureAwait(false);
        var envelope = Envelope(response);
        var id = Data(envelope, TikTokJsonContext.Default.AudienceCreateData)?.CustomAudienceId
            ?? throw new PlatformApiException(PlatformId, PlatformErrorClass.Transient, response.StatusCode, "the create answer named no custom_audience_id", requestId: envelope.RequestId);
        LogAudienceSync(Logger, paths.Count, hashes.Count, "CREATE", invalid, withheld);
        return new TikTokAudienceCreated(id, new AudienceSyncResult(AudienceOperation.Add, hashes.Count, invalid, withheld, paths.Count + 1));
    }

    private async Task<(List<string> Hashes, int Invalid, int Withheld)> PrepareMembersAsync(IReadOnlyList<AudienceMember> members, CancellationToken cancellationToken)
    {
        var gate = _consent;
        var decision = await gate.FilterAsync(members.Select(m => m.CustomerId), ConsentPurpose.AdTargeting, Channel.TikTok, cancellationToken).ConfigureAwait(false);
        var allowed = decision.Allowed.ToHashSet();
        var field = _options.AudienceMatchKey == TikTokAudienceMatchKey.Phone ? MatchField.Phone : MatchField.Email;
        var hashes = new List<string>(members.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int invalid = 0, withheld = 0;
        foreach (var member in members)
        {
            if (!allowed.Contains(member.CustomerId))
            {
                withheld++;
                continue;
            }
            var raw = field == MatchField.Phone ? member.Match.Phone : member.Match.Email;
            if (string.IsNullOrWhiteSpace(raw))
            {
                invalid++;
                continue;
            }
            try
            {
                var hash = field == MatchField.Phone
                    ? MatchDataNormalization.HashPhone(raw, member.Match.Country, HashingProfile.TikTok)
                    : PlatformHasher.Hash(field, raw, HashingProfile.TikTok);
                if (seen.Add(hash))
                {
                    hashes.Add(hash);
                }
            }
            catch (MatchNormalizationException)
            {
                invalid++;
            }
        }
        return (hashes, invalid, withheld);
    }

    private async Task<List<string>> UploadAsync(List<string> hashes, CancellationToken cancellationToken)
    {
        var paths = new List<string>();
        var part = 0;
        foreach (var chunk in hashes.Chunk(_options.AudienceMembersPerFile))
        {
            part++;
            var file = BuildAudienceFile(chunk);
            var signature = FileSignature(file);
            var fileName = $"audience-{part}.csv";
            var path = ApiPath("dmp/custom_audience/file/upload/");
            var response = await SendAsync("audiences.upload", () =>
            {
                var form = new MultipartFormDataContent
                {
                    { new StringContent(_options.AdvertiserId), "advertiser_id" },
                    { new StringContent(CalculateType), "calculate_type" },
                    { new StringContent(signature), "file_signature" },
                    { new StringContent(fileName), "file_name" },
                };
                var content = new ByteArrayContent(file);
                content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
                form.Add(content, "file", fileName);
                return new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = form };
            }, cancellationToken).ConfigureAwait(false);
            var envelope = Envelope(response);
            paths.Add(Data(envelope, TikTokJsonContext.Default.FileUploadData)?.FilePath
                ?? throw new PlatformApiException(PlatformId, PlatformErrorClass.Transient, response.StatusCode, "the upload answer named no file_path", requestId: envelope.RequestId));
        }
        return paths;
    }

    /// <summary>The audience file: one lower-case hex SHA-256 per line, UTF-8, no header.</summary>
    /// <param name="hashes">The hashed ids.</param>
    internal static byte[] BuildAudienceFile(IReadOnlyCollection<string> hashes)
    {
        var sb = new StringBuilder(hashes.Count * 65);
        foreach (var h in hashes)
        {
            sb.Append(h).Append('\n');
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>The <c>file_signature</c> TikTok checks an upload against: the MD5 of the file bytes in lower-case hex.</summary>
    /// <param name="file">The file bytes.</param>
#pragma warning disable CA5351 // TikTok's file_signature is defined as MD5: an integrity check of the upload, not a security control.
    public static string FileSignature(ReadOnlySpan<byte> file) => Convert.ToHexStringLower(MD5.HashData(file));
#pragma warning restore CA5351
}
