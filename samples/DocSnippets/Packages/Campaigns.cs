#region usings
using Marketing.Sdk;
using Marketing.Sdk.Campaigns;
using Marketing.Sdk.Platforms.Messaging;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Campaigns (docs/how-to).</summary>
public static class CampaignsSnippets
{
    /// <summary>Marketing.Sdk.Campaigns, example 1 (from docs/campaigns.md).</summary>
    public static async Task Example1Async(IServiceCollection services, ICampaignRunner campaigns)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .UseSqlite("Data Source=marketing.db")
            .AddSegmentation()
            .AddMessaging(o =>
            {
                o.AddTemplate(new MessageTemplate { Id = "summer_loyal", Channel = Channel.Email });
                o.AddTemplate(new MessageTemplate { Id = "summer_a", Channel = Channel.Email });
                o.AddTemplate(new MessageTemplate { Id = "summer_b", Channel = Channel.Email });
            })
            .AddCampaigns(o => o.MinimumObservations = 5));

        var start = new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero);
        await campaigns.StartAsync(new CampaignDefinition
        {
            Id = "summer-2026",
            SegmentId = "newsletter",
            Channel = Channel.Email,
            LayerVariants = new Dictionary<string, IReadOnlyList<CampaignVariant>>
            {
                ["loyal"] = [new CampaignVariant { Key = "thanks", TemplateId = "summer_loyal" }],
                ["active"] = [new CampaignVariant { Key = "a", TemplateId = "summer_a" }, new CampaignVariant { Key = "b", TemplateId = "summer_b" }],
            },
            HoldoutShare = 0.1,
            WindowStart = start,
            WindowEnd = start.AddDays(2),
            MaxPerHour = 5_000,
            ConversionWindow = TimeSpan.FromDays(7),
        });

        // The hosted service runs active campaigns every minute; a host can also run one itself.
        await campaigns.RunOnceAsync("summer-2026");

        var report = await campaigns.GetReportAsync("summer-2026");
        foreach (var g in report.Groups)
        {
            Console.WriteLine($"{g.Layer}/{g.Variant ?? "holdout"}: {g.Members} members, {g.Sent} sent, {g.Opened} opened, {g.Converted} converted");
        }
        Console.WriteLine($"lift {report.Lift.RelativeLift:P1} in [{report.Lift.RelativeLiftInterval?.Lower:P1}, {report.Lift.RelativeLiftInterval?.Upper:P1}]");
        #endregion
        await Task.CompletedTask;
    }
}
