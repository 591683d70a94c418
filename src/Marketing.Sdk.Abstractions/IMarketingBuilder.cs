using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk;

/// <summary>
/// The builder that <c>services.AddMarketingSdk(m =&gt; …)</c> hands to its callback. Each package
/// adds extension methods to it (<c>UseSqlite</c>, <c>AddSegmentation</c>, <c>AddMetaConversions</c>…),
/// the way <c>IHttpClientBuilder</c> and <c>IHealthChecksBuilder</c> are extended.
/// </summary>
public interface IMarketingBuilder
{
    /// <summary>The service collection the SDK registers into.</summary>
    IServiceCollection Services { get; }
}
