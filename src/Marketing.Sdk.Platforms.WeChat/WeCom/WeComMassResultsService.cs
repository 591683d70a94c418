using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Platforms.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.WeChat.WeCom;

/// <summary>Polls <see cref="WeComMassMessageResults"/> every <see cref="WeComOptions.MassResultPollInterval"/> when messaging is registered.</summary>
internal sealed partial class WeComMassResultsService(IServiceProvider services, IOptions<WeComOptions> options, TimeProvider timeProvider, ILogger<WeComMassResultsService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.MassResultPollInterval;
        if (interval <= TimeSpan.Zero || services.GetService<IMessageStatusReporter>() is null)
        {
            return;
        }
        var results = services.GetRequiredService<WeComMassMessageResults>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, timeProvider, stoppingToken).ConfigureAwait(false);
                await results.PollAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPollFailed(logger, RedactedException.Code(ex));
            }
        }
    }

    [LoggerMessage(EventId = 5521, Level = LogLevel.Warning, Message = "Polling WeCom mass-message results failed ({ExceptionCode}); trying again at the next interval")]
    private static partial void LogPollFailed(ILogger logger, string exceptionCode);
}
