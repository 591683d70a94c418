using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Profiles;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Configures the Marketing.Sdk core on the builder <see cref="MarketingServiceCollectionExtensions.AddMarketingSdk"/>
/// returns: ingestion and identity-resolution options (as a delegate or a configuration section, validated
/// at start), a geo resolver and listeners. Every method may be called again without harm.
/// </summary>
public static class CoreMarketingBuilderExtensions
{
    /// <summary>Configures event validation and cleaning.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Changes the options.</param>
    public static IMarketingBuilder ConfigureIngestion(this IMarketingBuilder builder, Action<IngestionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Binds event validation and cleaning options from configuration.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="section">A configuration section with <see cref="IngestionOptions"/> keys.</param>
    public static IMarketingBuilder ConfigureIngestion(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.Configure<IngestionOptions>(section);
        return builder;
    }

    /// <summary>Configures identity-resolution rules.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Changes the options.</param>
    public static IMarketingBuilder ConfigureIdentityResolution(this IMarketingBuilder builder, Action<IdentityResolutionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Binds identity-resolution rules from configuration.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="section">A configuration section with <see cref="IdentityResolutionOptions"/> keys.</param>
    public static IMarketingBuilder ConfigureIdentityResolution(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.Configure<IdentityResolutionOptions>(section);
        return builder;
    }

    /// <summary>Registers a region resolver for events that carry an IP address but no region.</summary>
    /// <typeparam name="TResolver">The resolver type (registered as a singleton).</typeparam>
    /// <param name="builder">The builder.</param>
    public static IMarketingBuilder UseGeoResolver<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TResolver>(this IMarketingBuilder builder) where TResolver : class, IGeoResolver
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<IGeoResolver, TResolver>());
        return builder;
    }

    /// <summary>Registers a listener that receives every batch of accepted events.</summary>
    /// <typeparam name="TListener">The listener type (registered as a singleton).</typeparam>
    /// <param name="builder">The builder.</param>
    public static IMarketingBuilder AddEventListener<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TListener>(this IMarketingBuilder builder) where TListener : class, IMarketingEventListener
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IMarketingEventListener, TListener>());
        return builder;
    }

    /// <summary>
    /// Registers a listener that identity resolution tells about each committed profile merge, so it can
    /// move its per-customer state to the survivor. Call once per listener type.
    /// </summary>
    /// <typeparam name="TListener">The listener type (registered as a singleton).</typeparam>
    /// <param name="builder">The builder.</param>
    public static IMarketingBuilder AddProfileMergeListener<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TListener>(this IMarketingBuilder builder) where TListener : class, IProfileMergeListener
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IProfileMergeListener, TListener>());
        return builder;
    }
}
