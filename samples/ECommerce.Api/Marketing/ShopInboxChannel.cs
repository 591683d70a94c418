using System.Collections.Concurrent;
using Marketing.Sdk;
using Marketing.Sdk.Platforms.Messaging;

namespace ECommerce.Api.Marketing;

/// <summary>
/// The shop's own in-app inbox as a Marketing.Sdk message channel (<c>in_app</c>, addressed by member id): journeys
/// and the shop send through <see cref="IMessageSender"/>, which applies consent, suppressions, caps and quiet hours,
/// and the accepted messages land here for the app to show. A real shop would write them to its own store.
/// </summary>
public sealed class ShopInboxChannel : IMessageChannel
{
    /// <summary>The channel's name.</summary>
    public static readonly Channel InApp = new("in_app");

    private readonly ConcurrentQueue<PreparedMessage> _inbox = new();

    /// <inheritdoc />
    public Channel Name => InApp;

    /// <inheritdoc />
    public MessageChannelCapabilities Capabilities => MessageChannelCapabilities.ProviderDeduplication;

    /// <inheritdoc />
    public MessageTemplateRules TemplateRules { get; } = new();

    /// <inheritdoc />
    public IReadOnlyList<IdentityKind> AddressKinds { get; } = [IdentityKind.MemberId];

    /// <inheritdoc />
    public int MaxBatchSize => 100;

    /// <summary>How many messages the inbox holds.</summary>
    public int Count => _inbox.Count;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RecipientResult>> SendAsync(IReadOnlyList<PreparedMessage> messages, CancellationToken cancellationToken = default)
    {
        var results = new RecipientResult[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            _inbox.Enqueue(messages[i]);
            results[i] = RecipientResult.Accepted(i, "inbox-" + messages[i].MessageId);
        }
        return ValueTask.FromResult<IReadOnlyList<RecipientResult>>(results);
    }
}
