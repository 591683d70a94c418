using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Platforms.TencentAds;

public sealed partial class TencentAdsPlatformClient
{
    /// <summary>Hashed phones per uploaded file (<see cref="TencentAdsPlatformOptions.AudienceMembersPerFile"/>).</summary>
    public int MaxMembersPerRequest => _options.AudienceMembersPerFile;

    /// <summary>
    /// Adds (<c>APPEND</c>) or removes (<c>REDUCE</c>) members of a Tencent Ads customer-file audience through
    /// <c>POST /v3.0/custom_audience_files/add</c> (multipart: <c>account_id</c>, <c>audience_id</c>,
    /// <c>user_id_type = HASH_PHONE</c>, <c>operation_type</c>, <c>file</c>): checks <see cref="ConsentPurpose.AdTargeting"/>
    /// per customer, hashes each phone with <see cref="TencentAdsHashing.HashPhone"/> and uploads one hash per line.
    /// Tencent has no replace: <see cref="AudienceOperation.Replace"/> is refused.
    /// </summary>
    /// <param name="audienceId">Tencent's <c>audience_id</c>.</param>
    /// <param name="operation">Add or remove.</param>
    /// <param name="members">The members.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformRequestException">A replace, or an audience id that is not a positive integer.</exception>
    public async ValueTask<AudienceSyncResult> SyncAsync(string audienceId, AudienceOperation operation, IReadOnlyList<AudienceMember> members, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(audienceId);
        ArgumentNullException.ThrowIfNull(members);
        var operationType = operation switch
        {
            AudienceOperation.Add => "APPEND",
            AudienceOperation.Remove => "REDUCE",
            AudienceOperation.Replace => throw new PlatformRequestException(PlatformId, "operation_type", "Tencent Ads customer files append or reduce; there is no replace"),
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };
        var audience = Id(audienceId, "audience_id");
        var account = Id(_options.AccountId, "account_id");
        var decision = await _consent.FilterAsync(members.Select(m => m.CustomerId), ConsentPurpose.AdTargeting, Channel.TencentAds, cancellationToken).ConfigureAwait(false);
        var allowed = decision.Allowed.ToHashSet();
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
            if (string.IsNullOrWhiteSpace(member.Match.Phone))
            {
                invalid++;
                continue;
            }
            try
            {
                var hash = TencentAdsHashing.HashPhone(member.Match.Phone);
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
        if (hashes.Count == 0)
        {
            return new AudienceSyncResult(operation, 0, invalid, withheld, 0);
        }
        var files = 0;
        foreach (var chunk in hashes.Chunk(_options.AudienceMembersPerFile))
        {
            files++;
            var file = BuildAudienceFile(chunk);
            var fileName = $"audience-{files}.txt";
            var path = ApiPath("custom_audience_files/add");
            var response = await SendAsync("audiences.upload", () =>
            {
                var form = new MultipartFormDataContent
                {
                    { new StringContent(account.ToString(CultureInfo.InvariantCulture)), "account_id" },
                    { new StringContent(audience.ToString(CultureInfo.InvariantCulture)), "audience_id" },
                    { new StringContent("HASH_PHONE"), "user_id_type" },
                    { new StringContent(operationType), "operation_type" },
                };
                var content = new ByteArrayContent(file);
                content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
                form.Add(content, "file", fileName);
                return new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = form };
            }, cancellationToken).ConfigureAwait(false);
            var envelope = Envelope("audiences.upload", response);
            if (Data(envelope, TencentAdsJsonContext.Default.AudienceFileData)?.CustomAudienceFileId is null)
            {
                throw new PlatformApiException(PlatformId, PlatformErrorClass.Transient, response.StatusCode, "the upload answer named no custom_audience_file_id", MalformedAnswerCode, requestId: envelope.TraceId);
            }
        }
        LogAudienceSync(Logger, files, hashes.Count, operationType, invalid, withheld);
        return new AudienceSyncResult(operation, hashes.Count, invalid, withheld, files);
    }

    /// <summary>The customer file: one lower-case hex MD5 per line, UTF-8, no header.</summary>
    /// <param name="hashes">The hashes.</param>
    internal static byte[] BuildAudienceFile(IReadOnlyCollection<string> hashes)
    {
        var sb = new StringBuilder(hashes.Count * 33);
        foreach (var h in hashes)
        {
            sb.Append(h).Append('\n');
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
