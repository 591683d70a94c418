using System.Net;
using System.Text;
using Marketing.Sdk.Compliance.Consent;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Tests.Platforms;

// Test doubles shared by the ad platform client test projects (linked into each).

/// <summary>An <see cref="IMarketingBuilder"/> over a bare service collection, for registration tests.</summary>
internal sealed class TestMarketingBuilder(IServiceCollection services) : IMarketingBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>A consent gate that grants everything (the client tests are not about consent).</summary>
internal sealed class AllowAll : IConsentGate
{
    public ValueTask<ConsentDecision> CheckAsync(CustomerId customerId, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(new ConsentDecision(customerId, purpose, destination, true, ConsentDecisionReason.Granted, purpose, "test"));

    public ValueTask<ConsentFilterResult> FilterAsync(IEnumerable<CustomerId> customerIds, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(new ConsentFilterResult([.. customerIds.Distinct()], []));
}

/// <summary>Answers every request with what the callback returns for it and its 1-based call number (hostile-answer tests).</summary>
internal sealed class HostileHandler(Func<HttpRequestMessage, int, (HttpStatusCode Status, string Body)> answer) : HttpMessageHandler
{
    public int Calls;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (status, body) = answer(request, Interlocked.Increment(ref Calls));
        return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }
}
