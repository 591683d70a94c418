using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Platforms.OceanEngine;

/// <summary>The <c>operation_type</c> of <c>dmp/data_source/update/</c> (official Go SDK enum 1–3; names from bububa/oceanengine).</summary>
public enum OceanEngineDataSourceOperation
{
    /// <summary>Adds the ids (1).</summary>
    Append = 1,
    /// <summary>Removes the ids (2).</summary>
    Delete = 2,
    /// <summary>Replaces the data source's ids (3).</summary>
    Reset = 3,
}

public sealed partial class OceanEnginePlatformClient
{
    /// <summary>Hashed phones per uploaded file (<see cref="OceanEnginePlatformOptions.AudienceMembersPerFile"/>).</summary>
    public int MaxMembersPerRequest => _options.AudienceMembersPerFile;

    /// <summary>
    /// Changes the members of a DMP data source (<paramref name="audienceId"/> = its <c>data_source_id</c>): checks
    /// <see cref="ConsentPurpose.AdTargeting"/> per customer, hashes each phone with <see cref="OceanEngineHashing.Sha256Phone"/>,
    /// uploads the files (<c>POST /open_api/2/dmp/data_source/file/upload/</c>, multipart with <c>file_signature</c> = the
    /// file's MD5) and applies them with <c>POST /open_api/2/dmp/data_source/update/</c> (<c>operation_type</c> 1 append, 2
    /// delete, 3 reset for <see cref="AudienceOperation.Replace"/>). Ocean Engine rebuilds the data source's audience; use
    /// <see cref="PublishAudienceAsync"/> to publish and push it.
    /// </summary>
    /// <param name="audienceId">The data source id.</param>
    /// <param name="operation">Add, remove or replace.</param>
    /// <param name="members">The members.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<AudienceSyncResult> SyncAsync(string audienceId, AudienceOperation operation, IReadOnlyList<AudienceMember> members, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(audienceId);
        ArgumentNullException.ThrowIfNull(members);
        var type = operation switch
        {
            AudienceOperation.Add => OceanEngineDataSourceOperation.Append,
            AudienceOperation.Remove => OceanEngineDataSourceOperation.Delete,
            AudienceOperation.Replace => OceanEngineDataSourceOperation.Reset,
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };
        var advertiser = Id(_options.AdvertiserId, "advertiser_id");
        var (hashes, invalid, withheld) = await HashAllowedAsync(members, cancellationToken).ConfigureAwait(false);
        if (hashes.Count == 0 && type != OceanEngineDataSourceOperation.Reset)
        {
            return new AudienceSyncResult(operation, 0, invalid, withheld, 0);
        }
        var paths = await UploadFilesAsync(advertiser, hashes, cancellationToken).ConfigureAwait(false);
        var body = JsonSerializer.SerializeToUtf8Bytes(new DataSourceUpdateRequest(advertiser, audienceId, (int)type, 0, 0, paths), OceanEngineJsonContext.Default.DataSourceUpdateRequest);
        var response = await PostJsonAsync("audiences.update", new Uri("open_api/2/dmp/data_source/update/", UriKind.Relative), body, retriable: false, anonymous: false, cancellationToken).ConfigureAwait(false);
        Envelope("audiences.update", response);
        LogAudienceSync(Logger, paths.Count, hashes.Count, (int)type, invalid, withheld);
        return new AudienceSyncResult(operation, hashes.Count, invalid, withheld, paths.Count + 1);
    }

    /// <summary>
    /// Creates a DMP data source from members (consent-checked and hashed as in <see cref="SyncAsync"/>): uploads the files
    /// and calls <c>POST /open_api/2/dmp/data_source/create/</c> (<c>data_format</c> 0 = protobuf, <c>file_storage_type</c>
    /// 0 = API, <c>data_source_type</c> <c>UID</c>). Returns the new <c>data_source_id</c>.
    /// </summary>
    /// <param name="name">The data source name (at most 30 characters).</param>
    /// <param name="members">The members.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformRequestException">No member is allowed and valid, or the name is too long.</exception>
    public async ValueTask<string> CreateDataSourceAsync(string name, IReadOnlyList<AudienceMember> members, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(members);
        if (name.Length > 30)
        {
            throw new PlatformRequestException(PlatformId, "data_source_name", "a data source name is at most 30 characters");
        }
        var advertiser = Id(_options.AdvertiserId, "advertiser_id");
        var (hashes, _, _) = await HashAllowedAsync(members, cancellationToken).ConfigureAwait(false);
        if (hashes.Count == 0)
        {
            throw new PlatformRequestException(PlatformId, "file_paths", "no member has consent and a valid mainland mobile number");
        }
        var paths = await UploadFilesAsync(advertiser, hashes, cancellationToken).ConfigureAwait(false);
        var body = JsonSerializer.SerializeToUtf8Bytes(new DataSourceCreateRequest(advertiser, name, name, 0, 0, paths, "UID"), OceanEngineJsonContext.Default.DataSourceCreateRequest);
        var response = await PostJsonAsync("audiences.create", new Uri("open_api/2/dmp/data_source/create/", UriKind.Relative), body, retriable: false, anonymous: false, cancellationToken).ConfigureAwait(false);
        var envelope = Envelope("audiences.create", response);
        return Data(envelope, OceanEngineJsonContext.Default.DataSourceData)?.DataSourceId is { Length: > 0 } id
            ? id
            : throw new PlatformApiException(PlatformId, PlatformErrorClass.Transient, response.StatusCode, "the answer named no data_source_id", MalformedAnswerCode, requestId: envelope.RequestId);
    }

    /// <summary>
    /// Publishes a custom audience (<c>POST /open_api/2/dmp/custom_audience/publish/</c>) and, when
    /// <paramref name="targetAdvertiserIds"/> are given, pushes it to them (<c>POST /open_api/2/dmp/custom_audience/push_v2/</c>).
    /// </summary>
    /// <param name="customAudienceId">The custom audience id.</param>
    /// <param name="targetAdvertiserIds">Advertisers to share it with (none: publish only).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask PublishAudienceAsync(string customAudienceId, IReadOnlyList<string>? targetAdvertiserIds = null, CancellationToken cancellationToken = default)
    {
        var advertiser = Id(_options.AdvertiserId, "advertiser_id");
        var audience = Id(customAudienceId, "custom_audience_id");
        var targets = (targetAdvertiserIds ?? []).Select(t => Id(t, "target_advertiser_ids")).ToList();
        var ctx = OceanEngineJsonContext.Default;
        var publish = await PostJsonAsync("audiences.publish", new Uri("open_api/2/dmp/custom_audience/publish/", UriKind.Relative),
            JsonSerializer.SerializeToUtf8Bytes(new PublishRequest(advertiser, audience), ctx.PublishRequest), retriable: true, anonymous: false, cancellationToken).ConfigureAwait(false);
        Envelope("audiences.publish", publish);
        if (targets.Count > 0)
        {
            var push = await PostJsonAsync("audiences.push", new Uri("open_api/2/dmp/custom_audience/push_v2/", UriKind.Relative),
                JsonSerializer.SerializeToUtf8Bytes(new PushRequest(advertiser, audience, targets), ctx.PushRequest), retriable: true, anonymous: false, cancellationToken).ConfigureAwait(false);
            Envelope("audiences.push", push);
        }
        LogPublished(Logger, targets.Count);
    }

    private async Task<(List<string> Hashes, int Invalid, int Withheld)> HashAllowedAsync(IReadOnlyList<AudienceMember> members, CancellationToken cancellationToken)
    {
        var decision = await _consent.FilterAsync(members.Select(m => m.CustomerId), ConsentPurpose.AdTargeting, Channel.OceanEngine, cancellationToken).ConfigureAwait(false);
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
                var hash = OceanEngineHashing.Sha256Phone(member.Match.Phone);
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

    private async Task<List<string>> UploadFilesAsync(long advertiser, List<string> hashes, CancellationToken cancellationToken)
    {
        var paths = new List<string>();
        List<string[]> chunks = hashes.Count == 0 ? [[]] : [.. hashes.Chunk(_options.AudienceMembersPerFile)];
        foreach (var chunk in chunks)
        {
            var file = OceanEngineDmpFile.Build(chunk);
            if (file.Length > OceanEngineDmpFile.MaxFileBytes)
            {
                throw new PlatformRequestException(PlatformId, "file", "a DMP file exceeds 50 MB; lower AudienceMembersPerFile");
            }
            var signature = OceanEngineHashing.Md5Hex(file);
            var fileName = $"audience-{paths.Count + 1}.zip";
            var response = await SendAsync("audiences.upload", () =>
            {
                var form = new MultipartFormDataContent
                {
                    { new StringContent(advertiser.ToString(CultureInfo.InvariantCulture)), "advertiser_id" },
                    { new StringContent(signature), "file_signature" },
                };
                var content = new ByteArrayContent(file);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
                form.Add(content, "file", fileName);
                // An upload only stores a file and returns its path; sending it twice leaves an unused copy.
                var request = new HttpRequestMessage(HttpMethod.Post, new Uri("open_api/2/dmp/data_source/file/upload/", UriKind.Relative)) { Content = form };
                request.Options.Set(Http.PlatformRetry.Retriable, true);
                return request;
            }, cancellationToken).ConfigureAwait(false);
            var envelope = Envelope("audiences.upload", response);
            paths.Add(Data(envelope, OceanEngineJsonContext.Default.FileUploadData)?.FilePath is { Length: > 0 } path
                ? path
                : throw new PlatformApiException(PlatformId, PlatformErrorClass.Transient, response.StatusCode, "the upload answer named no file_path", MalformedAnswerCode, requestId: envelope.RequestId));
        }
        return paths;
    }
}
