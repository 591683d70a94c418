using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Profiles;

/// <summary>Reads and edits unified profiles.</summary>
public interface IProfileService
{
    /// <summary>Reads a profile by id, following merges: the id of a merged-away profile returns its survivor.</summary>
    /// <param name="id">A profile id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<CustomerProfile?> GetAsync(CustomerId id, CancellationToken cancellationToken = default);

    /// <summary>Finds the unified profile that holds an identity (normalised first, as on ingestion).</summary>
    /// <param name="identity">Any identity of the customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<CustomerProfile?> FindByIdentityAsync(Identity identity, CancellationToken cancellationToken = default);

    /// <summary>Sets traits (a <see cref="PropertyValue.Null"/> value removes the trait).</summary>
    /// <param name="id">The profile id.</param>
    /// <param name="traits">The traits to set.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The updated profile.</returns>
    /// <exception cref="MarketingValidationException">No such profile.</exception>
    ValueTask<CustomerProfile> SetTraitsAsync(CustomerId id, IReadOnlyDictionary<string, PropertyValue> traits, CancellationToken cancellationToken = default);

    /// <summary>Adds and removes static tags.</summary>
    /// <param name="id">The profile id.</param>
    /// <param name="add">Tags to add.</param>
    /// <param name="remove">Tags to remove.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<CustomerProfile> TagAsync(CustomerId id, IEnumerable<string> add, IEnumerable<string>? remove = null, CancellationToken cancellationToken = default);

    /// <summary>Replaces the dynamic tags that start with <paramref name="prefix"/> (e.g. <c>segment:</c>), leaving others alone.</summary>
    /// <param name="id">The profile id.</param>
    /// <param name="prefix">The tag family to replace.</param>
    /// <param name="tags">The new tags of that family (each must start with <paramref name="prefix"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<CustomerProfile> SetDynamicTagsAsync(CustomerId id, string prefix, IEnumerable<string> tags, CancellationToken cancellationToken = default);
}

internal sealed class ProfileService : IProfileService
{
    private readonly IProfileStore _profiles;
    private readonly IIdentityGraphStore _graph;
    private readonly IdentityNormalizer _normalizer;
    private readonly IdentityResolutionOptions _options;

    public ProfileService(IProfileStore profiles, IIdentityGraphStore graph, IdentityNormalizer normalizer, IOptions<IdentityResolutionOptions> options)
    {
        _profiles = profiles;
        _graph = graph;
        _normalizer = normalizer;
        _options = options.Value;
    }

    public async ValueTask<CustomerProfile?> GetAsync(CustomerId id, CancellationToken cancellationToken = default)
    {
        CustomerIds.Ensure(id);
        var profile = await _profiles.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (profile is not null)
        {
            return profile;
        }
        // Follow merges made since the caller learned the id.
        var target = id;
        var found = false;
        await foreach (var merge in _graph.ReadMergesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (merge.Merged == target)
            {
                target = merge.Survivor;
                found = true;
            }
        }
        return found ? await _profiles.GetAsync(target, cancellationToken).ConfigureAwait(false) : null;
    }

    public async ValueTask<CustomerProfile?> FindByIdentityAsync(Identity identity, CancellationToken cancellationToken = default)
    {
        var normalized = _normalizer.Normalize(identity);
        var owners = await _graph.FindAsync([normalized], cancellationToken).ConfigureAwait(false);
        return owners.TryGetValue(normalized, out var owner)
            ? await _profiles.GetAsync(owner, cancellationToken).ConfigureAwait(false)
            : null;
    }

    public ValueTask<CustomerProfile> SetTraitsAsync(CustomerId id, IReadOnlyDictionary<string, PropertyValue> traits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(traits);
        return UpdateAsync(id, p =>
        {
            var merged = new Dictionary<string, PropertyValue>(p.Traits, StringComparer.Ordinal);
            foreach (var (k, v) in traits)
            {
                if (string.IsNullOrWhiteSpace(k))
                {
                    throw new MarketingValidationException("traits", ValidationReason.Missing, "Trait names must not be empty.");
                }
                if (v.IsNull)
                {
                    merged.Remove(k);
                }
                else
                {
                    merged[k] = v;
                }
            }
            return p with { Traits = merged };
        }, cancellationToken);
    }

    public ValueTask<CustomerProfile> TagAsync(CustomerId id, IEnumerable<string> add, IEnumerable<string>? remove = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(add);
        var adding = add.ToList();
        var removing = remove?.ToList() ?? [];
        if (adding.Any(string.IsNullOrWhiteSpace))
        {
            throw new MarketingValidationException("tags", ValidationReason.Missing, "Tags must not be empty.");
        }
        return UpdateAsync(id, p =>
        {
            var tags = p.StaticTags.ToHashSet(StringComparer.Ordinal);
            tags.UnionWith(adding);
            tags.ExceptWith(removing);
            return p with { StaticTags = tags };
        }, cancellationToken);
    }

    public ValueTask<CustomerProfile> SetDynamicTagsAsync(CustomerId id, string prefix, IEnumerable<string> tags, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentNullException.ThrowIfNull(tags);
        var family = tags.ToList();
        if (family.FirstOrDefault(t => !t.StartsWith(prefix, StringComparison.Ordinal)) is not null)
        {
            throw new MarketingValidationException("tags", ValidationReason.Inconsistent, "Every tag must start with the given prefix.");
        }
        return UpdateAsync(id, p =>
        {
            var next = p.DynamicTags.Where(t => !t.StartsWith(prefix, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
            next.UnionWith(family);
            return p with { DynamicTags = next };
        }, cancellationToken);
    }

    private async ValueTask<CustomerProfile> UpdateAsync(CustomerId id, Func<CustomerProfile, CustomerProfile> change, CancellationToken ct)
    {
        CustomerIds.Ensure(id);
        for (var attempt = 0; ; attempt++)
        {
            var profile = await _profiles.GetAsync(id, ct).ConfigureAwait(false)
                ?? throw new MarketingValidationException("customerId", ValidationReason.OutOfRange, "No profile has this id.");
            try
            {
                return await _profiles.SaveAsync(change(profile), ct).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException) when (attempt < _options.MaxWriteRetries)
            {
            }
        }
    }
}
