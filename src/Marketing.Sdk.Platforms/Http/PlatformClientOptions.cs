using System.Diagnostics.CodeAnalysis;
using System.Threading.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Marketing.Sdk.Platforms.Http;

/// <summary>
/// Settings every platform client shares: where to send (the platform, or an emulator in tests), the
/// per-attempt and total timeouts and retry count of the standard resilience handler, and the
/// client-side request rate. Platform packages derive their options from this class.
/// </summary>
public abstract class PlatformClientOptions
{
    /// <summary>Overrides the platform's base address (e.g. an emulator's loopback address). Default: the platform's production host.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>Timeout of one HTTP attempt (default 10 s).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Timeout of a call including its retries, and of reading an answer's body once its headers have arrived (default 60 s; must exceed <see cref="AttemptTimeout"/>).</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Retries of transient HTTP failures (5xx, 408, 429, timeouts) inside one call (default 3; 0 turns them off).
    /// Only requests safe to send twice are retried: GET, HEAD, OPTIONS, PUT and DELETE, and requests a client
    /// marks with <see cref="PlatformRetry.Retriable"/> (a read sent as POST); writes are never retried inside a call.
    /// </summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>Base delay of the in-call retries (exponential with jitter; default 1 s).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Client-side request rate per second (token bucket); 0 disables the limiter.</summary>
    public double RequestsPerSecond { get; set; } = 50;

    /// <summary>The most pages one paged read (a report) follows before it stops with a typed error (default 10 000).</summary>
    public int MaxPages { get; set; } = 10_000;

    /// <summary>Whether the circuit breaker of the standard resilience handler is on (default true).</summary>
    public bool EnableCircuitBreaker { get; set; } = true;

    /// <summary>
    /// The largest answer body read from the platform (default 16 MiB, 64 KiB – 256 MiB); a longer one is a typed
    /// <see cref="PlatformApiClient.MalformedAnswerCode"/> error, read no further than the limit.
    /// </summary>
    public int MaxResponseBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Returns what is wrong with the settings (empty when valid). Platform options add their own checks.</summary>
    public virtual IEnumerable<string> GetValidationErrors()
    {
        if (BaseAddress is { IsAbsoluteUri: false })
        {
            yield return $"{nameof(BaseAddress)} must be an absolute URI.";
        }

        if (AttemptTimeout <= TimeSpan.Zero)
        {
            yield return $"{nameof(AttemptTimeout)} must be positive.";
        }

        if (TotalTimeout <= AttemptTimeout)
        {
            yield return $"{nameof(TotalTimeout)} must exceed {nameof(AttemptTimeout)}.";
        }

        if (MaxRetryAttempts is < 0 or > 10)
        {
            yield return $"{nameof(MaxRetryAttempts)} must be between 0 and 10.";
        }

        if (RetryBaseDelay < TimeSpan.Zero)
        {
            yield return $"{nameof(RetryBaseDelay)} cannot be negative.";
        }

        if (MaxPages is < 1 or > 1_000_000)
        {
            yield return $"{nameof(MaxPages)} must be between 1 and 1000000.";
        }

        if (RequestsPerSecond < 0 || double.IsNaN(RequestsPerSecond))
        {
            yield return $"{nameof(RequestsPerSecond)} cannot be negative.";
        }

        if (MaxResponseBytes is < 64 * 1024 or > 256 * 1024 * 1024)
        {
            yield return $"{nameof(MaxResponseBytes)} must be between 65536 and 268435456.";
        }
    }

    /// <summary>Creates the client-side limiter, or <see langword="null"/> when disabled.</summary>
    internal RateLimiter? CreateRateLimiter()
    {
        if (RequestsPerSecond <= 0)
        {
            return null;
        }
        var perTenth = Math.Max(1, (int)Math.Ceiling(RequestsPerSecond / 10));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(perTenth, (int)Math.Ceiling(RequestsPerSecond)),
            TokensPerPeriod = perTenth,
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            QueueLimit = 10_000,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    /// <summary>Applies these settings to the standard resilience handler.</summary>
    /// <param name="options">The handler's options.</param>
    internal void ApplyTo(HttpStandardResilienceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AttemptTimeout.Timeout = AttemptTimeout;
        options.TotalRequestTimeout.Timeout = TotalTimeout;
        options.Retry.MaxRetryAttempts = Math.Max(1, MaxRetryAttempts);
        options.Retry.Delay = RetryBaseDelay;
        if (MaxRetryAttempts == 0)
        {
            options.Retry.ShouldHandle = _ => ValueTask.FromResult(false);
        }
        else
        {
            // Only what is safe to send twice is retried inside a call: idempotent methods, and requests a client
            // marked retriable (a read sent as POST). Writes (conversions, audience batches, budget and status
            // changes) are sent once per call; conversions are retried by the outbox, which owns their attempts.
            var transient = options.Retry.ShouldHandle;
            options.Retry.ShouldHandle = async args =>
                PlatformRetry.MayRetry(args.Context.GetRequestMessage()) && await transient(args).ConfigureAwait(false);
        }
        options.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(Math.Max(30, AttemptTimeout.TotalSeconds * 2 + 1));
        if (!EnableCircuitBreaker)
        {
            options.CircuitBreaker.ShouldHandle = _ => ValueTask.FromResult(false);
        }
    }
}

/// <summary>Which platform requests the resilience handler may send more than once.</summary>
public static class PlatformRetry
{
    /// <summary>
    /// Marks a request as safe (or unsafe) to retry inside a call, overriding the default by HTTP method
    /// (GET, HEAD, OPTIONS, PUT, DELETE retriable; POST and PATCH not).
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> Retriable = new("Marketing.Sdk.Platforms.Retriable");

    /// <summary>Whether the resilience handler may send <paramref name="request"/> again.</summary>
    /// <param name="request">The request (none: not retried).</param>
    public static bool MayRetry(HttpRequestMessage? request)
    {
        if (request is null)
        {
            return false;
        }
        if (request.Options.TryGetValue(Retriable, out var marked))
        {
            return marked;
        }
        var method = request.Method;
        return method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options || method == HttpMethod.Put || method == HttpMethod.Delete;
    }
}

/// <summary>Registers platform typed clients on <see cref="IHttpClientFactory"/> with the standard resilience handler.</summary>
public static class PlatformHttpClientRegistration
{
    /// <summary>
    /// Adds a named <see cref="HttpClient"/> for a platform with <c>AddStandardResilienceHandler</c>
    /// tuned by the <typeparamref name="TOptions"/> options (read when the first client is created, so bound
    /// configuration and emulator addresses apply).
    /// </summary>
    /// <typeparam name="TOptions">The platform's options type.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The client name.</param>
    /// <param name="defaultBaseAddress">The platform's production address.</param>
    /// <returns>The client builder, for further configuration.</returns>
    public static IHttpClientBuilder AddPlatformHttpClient<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(this IServiceCollection services, string name, Uri defaultBaseAddress)
        where TOptions : PlatformClientOptions
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(RegisteredClient) && d.IsKeyedService && Equals(d.ServiceKey, name)))
        {
            // Registered already: a second resilience handler would nest retries inside retries.
            return services.AddHttpClient(name);
        }
        services.Add(new ServiceDescriptor(typeof(RegisteredClient), name, new RegisteredClient()));
        services.AddOptions<TOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, PlatformClientOptionsValidator<TOptions>>());
        var builder = services.AddHttpClient(name, (sp, client) =>
        {
            var options = sp.GetRequiredService<IOptions<TOptions>>().Value;
            client.BaseAddress = options.BaseAddress ?? defaultBaseAddress;
            client.Timeout = Timeout.InfiniteTimeSpan;
            client.MaxResponseContentBufferSize = options.MaxResponseBytes;
        });
        // Outermost: the resilience handler times the attempts up to their headers; this bounds the body read after them.
        builder.AddHttpMessageHandler(sp => new AnswerDeadlineHandler(
            () => sp.GetRequiredService<IOptions<TOptions>>().Value.TotalTimeout, sp.GetService<TimeProvider>() ?? TimeProvider.System));
        builder.AddStandardResilienceHandler().Configure((HttpStandardResilienceOptions o, IServiceProvider sp) =>
            sp.GetRequiredService<IOptions<TOptions>>().Value.ApplyTo(o));
        return builder;
    }

    /// <summary>
    /// Exposes a registered platform client (a singleton of <typeparamref name="TClient"/>) as an
    /// <see cref="IConversionSink"/> and as the keyed <see cref="IAudienceSync"/>,
    /// <see cref="IAdReporting"/> and <see cref="ICampaignControl"/> under <paramref name="key"/>.
    /// </summary>
    /// <typeparam name="TClient">The client type.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="key">The platform key (e.g. <c>meta</c>).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddPlatformCapabilities<TClient>(this IServiceCollection services, string key)
        where TClient : class, IConversionSink, IAudienceSync, IAdReporting, ICampaignControl
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConversionSink, TClient>(sp => sp.GetRequiredService<TClient>()));
        services.TryAddKeyedSingleton<IAudienceSync>(key, (sp, _) => sp.GetRequiredService<TClient>());
        services.TryAddKeyedSingleton<IAdReporting>(key, (sp, _) => sp.GetRequiredService<TClient>());
        services.TryAddKeyedSingleton<ICampaignControl>(key, (sp, _) => sp.GetRequiredService<TClient>());
        return services;
    }

    /// <summary>Marks a platform HTTP client name as registered (keyed by the name).</summary>
    private sealed class RegisteredClient;
}

/// <summary>Validates platform client options on start with <see cref="PlatformClientOptions.GetValidationErrors"/>.</summary>
/// <typeparam name="TOptions">The platform's options type.</typeparam>
internal sealed class PlatformClientOptionsValidator<TOptions> : IValidateOptions<TOptions> where TOptions : PlatformClientOptions
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.GetValidationErrors().ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => $"{typeof(TOptions).Name}: {e}"));
    }
}
