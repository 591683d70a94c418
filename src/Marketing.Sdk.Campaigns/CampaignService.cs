using Marketing.Sdk.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Campaigns;

/// <summary>Runs the active campaigns every <see cref="CampaignOptions.PollInterval"/>; each run takes the campaign's lease, so one host sends a campaign at a time.</summary>
internal sealed partial class CampaignService(ICampaignRunner runner, IOptions<CampaignOptions> options, TimeProvider timeProvider, ILogger<CampaignService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RunInBackground)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.Value.PollInterval, timeProvider);
        try
        {
            do
            {
                await RunActiveAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task RunActiveAsync(CancellationToken stoppingToken)
    {
        IReadOnlyList<string> active;
        try
        {
            active = await runner.ListActiveAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, "*", RedactedException.Code(ex));
            return;
        }
        foreach (var id in active)
        {
            try
            {
                await runner.RunOnceAsync(id, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One campaign's failure must not stop the others; the next tick tries again.
                LogFailed(logger, id, RedactedException.Code(ex));
            }
        }
    }

    [LoggerMessage(EventId = 5760, Level = LogLevel.Warning, Message = "A run of campaign {CampaignId} failed ({ExceptionCode}); the next tick tries again.")]
    private static partial void LogFailed(ILogger logger, string campaignId, string exceptionCode);
}
