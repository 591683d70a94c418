using System.Text.Json;
using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Google.Wire;

namespace Marketing.Sdk.Platforms.Google;

public sealed partial class GooglePlatformClient
{
    /// <summary>
    /// Adds members to or removes them from a Customer Match list with the Data Manager API
    /// (<c>audienceMembers:ingest</c> / <c>audienceMembers:remove</c>, at most 10 000 members per request).
    /// <para>
    /// <see cref="AudienceOperation.Add"/> checks the consent gate for <see cref="ConsentPurpose.AdTargeting"/>
    /// towards Google per customer and sends only the allowed members, each with
    /// <c>consent {adUserData, adPersonalization} = CONSENT_GRANTED</c>; it needs
    /// <see cref="GooglePlatformOptions.CustomerMatchTermsAccepted"/>.
    /// <see cref="AudienceOperation.Remove"/> sends every member without a consent check: removing a
    /// customer is how a withdrawal reaches Google.
    /// <see cref="AudienceOperation.Replace"/> is refused: the Data Manager API has no remove-all, and
    /// the Google Ads API way (an OfflineUserDataJob with <c>removeAll</c>) is closed to new Customer
    /// Match adopters since April 2026. Remove the customers who left and add the current ones instead.
    /// </para>
    /// Identifiers are normalised and hashed the Google way: email and phone (E.164, completed with the
    /// customer's country when written nationally) hashed; an address of hashed first and last name
    /// with plain country and postal code. Members without any identifier count as invalid.
    /// </summary>
    /// <param name="audienceId">The Customer Match user list id.</param>
    /// <param name="operation">Add or remove.</param>
    /// <param name="members">The members.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformRequestException">The operation is <see cref="AudienceOperation.Replace"/>, the list id is not numeric, or the terms are not accepted.</exception>
    /// <exception cref="PlatformApiException">Google refused a request.</exception>
    public async ValueTask<AudienceSyncResult> SyncAsync(string audienceId, AudienceOperation operation, IReadOnlyList<AudienceMember> members, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (operation == AudienceOperation.Replace)
        {
            throw new PlatformRequestException(GoogleErrors.Platform, nameof(AudienceOperation.Replace),
                "the Data Manager API offers no remove-all, so a Customer Match list cannot be replaced in one operation; remove the members who left (AudienceOperation.Remove) and add the current ones (AudienceOperation.Add)");
        }
        if (operation is not (AudienceOperation.Add or AudienceOperation.Remove))
        {
            throw new PlatformRequestException(GoogleErrors.Platform, nameof(operation), $"unknown audience operation {operation}");
        }
        if (string.IsNullOrWhiteSpace(audienceId) || !GooglePlatformOptions.Digits().IsMatch(audienceId.Trim()))
        {
            throw new PlatformRequestException(GoogleErrors.Platform, nameof(audienceId), "a Customer Match user list id is numeric");
        }
        if (operation == AudienceOperation.Add && !_options.CustomerMatchTermsAccepted)
        {
            throw new PlatformRequestException(GoogleErrors.Platform, "termsOfService",
                "Google requires the Customer Match terms of service to be accepted for uploads; set GooglePlatformOptions.CustomerMatchTermsAccepted after accepting them");
        }

        var withheld = 0;
        IReadOnlyList<AudienceMember> allowed = members;
        if (operation == AudienceOperation.Add && members.Count > 0)
        {
            var decisions = await _consent.FilterAsync(members.Select(m => m.CustomerId), ConsentPurpose.AdTargeting, Channel.Google, cancellationToken).ConfigureAwait(false);
            var denied = decisions.Denied.Select(d => d.CustomerId).ToHashSet();
            allowed = [.. members.Where(m => !denied.Contains(m.CustomerId))];
            withheld = members.Count - allowed.Count;
        }

        var invalid = 0;
        var prepared = new List<DmAudienceMember>(allowed.Count);
        var consent = operation == AudienceOperation.Add ? new DmConsent(Granted, Granted) : null;
        foreach (var member in allowed)
        {
            var identifiers = Identifiers(member.Match);
            if (identifiers.Count == 0)
            {
                invalid++;
                continue;
            }
            prepared.Add(new DmAudienceMember(new DmUserData(identifiers), consent));
        }

        var sent = 0;
        var requests = 0;
        var destinations = new[] { NewDestination(audienceId.Trim(), null) };
        foreach (var chunk in prepared.Chunk(MaxAudienceMembersPerRequest))
        {
            var pending = chunk.ToList();
            for (var round = 0; pending.Count > 0 && round < 3; round++)
            {
                var (method, body) = operation == AudienceOperation.Add
                    ? ("audienceMembers:ingest", JsonSerializer.SerializeToUtf8Bytes(
                        new IngestAudienceMembersRequest(destinations, pending, _options.ValidateOnly ? true : null, HexEncoding, new DmTermsOfService("ACCEPTED")),
                        GoogleJsonContext.Default.IngestAudienceMembersRequest))
                    : ("audienceMembers:remove", JsonSerializer.SerializeToUtf8Bytes(
                        new RemoveAudienceMembersRequest(destinations, pending, _options.ValidateOnly ? true : null, HexEncoding),
                        GoogleJsonContext.Default.RemoveAudienceMembersRequest));
                requests++;
                try
                {
                    var name = operation == AudienceOperation.Add ? "audience.add" : "audience.remove";
                    ReadIngest(name, await SendAsync(name, Post(DataManagerUri(method), body), cancellationToken).ConfigureAwait(false));
                    sent += pending.Count;
                    pending.Clear();
                }
                catch (PlatformApiException ex) when (ex.ErrorClass == PlatformErrorClass.Permanent && round < 2
                    && ViolationsByPosition(ex, "audienceMembers", pending.Count) is { Count: > 0 } bad)
                {
                    LogFieldRejections(Logger, bad.Count, method);
                    invalid += bad.Count;
                    pending = [.. pending.Where((_, position) => !bad.ContainsKey(position))];
                }
            }
        }
        LogAudienceSync(Logger, operation, sent, requests, invalid, withheld);
        return new AudienceSyncResult(operation, sent, invalid, withheld, requests);
    }

    private static List<DmUserIdentifier> Identifiers(CustomerMatchData match)
    {
        var identifiers = new List<DmUserIdentifier>(3);
        if (TryPrepare(() => PlatformHasher.Hash(MatchField.Email, match.Email!, HashingProfile.Google), match.Email) is { } email)
        {
            identifiers.Add(new DmUserIdentifier(EmailAddress: email));
        }
        if (TryPrepare(() => GoogleMatchData.HashPhone(match.Phone!, match.Country), match.Phone) is { } phone)
        {
            identifiers.Add(new DmUserIdentifier(PhoneNumber: phone));
        }
        var address = Address(
            TryPrepare(() => PlatformHasher.Hash(MatchField.FirstName, match.FirstName!, HashingProfile.Google), match.FirstName),
            TryPrepare(() => PlatformHasher.Hash(MatchField.LastName, match.LastName!, HashingProfile.Google), match.LastName),
            TryPrepare(() => PlatformHasher.Prepare(MatchField.Country, match.Country!, HashingProfile.Google), match.Country),
            TryPrepare(() => PlatformHasher.Prepare(MatchField.Zip, match.Zip!, HashingProfile.Google), match.Zip));
        if (address is not null)
        {
            identifiers.Add(new DmUserIdentifier(Address: address));
        }
        return identifiers.Count > MaxUserIdentifiers ? identifiers[..MaxUserIdentifiers] : identifiers;
    }

    private static string? TryPrepare(Func<string> prepare, string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }
        try
        {
            return prepare();
        }
        catch (MatchNormalizationException)
        {
            return null;
        }
    }
}
