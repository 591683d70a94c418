using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Tests.Shared;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Marketing.Sdk.Docs.Tests;

/// <summary>
/// The README's "Send orders" block, compiled from the README text itself and run as the program it is,
/// configured (command-line configuration, as a host would be) against the Meta, Google and TikTok
/// emulators: an order placed through its <c>OrderConversions</c> reaches every platform.
/// </summary>
public sealed class SendOrdersSnippetTests
{
    private const string MetaPixel = "880000000000001";
    private const string TikTokAdvertiser = "7000000001";
    private const string TikTokPixel = "DOCSPIXEL";
    private const string GoogleAccount = "123-456-7890";
    private const string GooglePurchaseAction = "555000111";

    [Fact]
    public async Task The_readme_order_snippet_delivers_a_conversion_that_each_emulator_accepts()
    {
        var snippet = Snippets.Read(Path.Combine(ReferenceFiles.RepositoryRoot, "README.md")).Single(s => s.Code.Contains("class OrderConversions", StringComparison.Ordinal));
        var compilation = Snippets.Compile(snippet, "ReadmeSendOrders");
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join(Environment.NewLine, Snippets.Errors(compilation)));

        await using var meta = new MetaEmulator("docs-meta-token", TimeProvider.System);
        meta.AddPixel(MetaPixel);
        await using var google = new GoogleEmulator(TimeProvider.System);
        await using var tiktok = new TikTokEmulator(new TikTokEmulatorOptions { AccessTokens = ["docs-tiktok-token"], AdvertiserIds = [TikTokAdvertiser], TimeProvider = TimeProvider.System });
        await Task.WhenAll(meta.StartAsync(), google.StartAsync(), tiktok.StartAsync());

        var directory = Directory.CreateTempSubdirectory("readme-orders-");
        string[] args =
        [
            "--urls=http://127.0.0.1:0",
            "--environment=Development",
            $"--ConnectionStrings:Marketing=Data Source={Path.Combine(directory.FullName, "marketing.db")}",
            "--Marketing:Platforms:RunInBackground=false",
            $"--Meta:BaseAddress={meta.BaseAddress}", $"--Meta:AccessToken={meta.AccessToken}", $"--Meta:PixelId={MetaPixel}",
            $"--Google:BaseAddress={google.BaseAddress}", $"--Google:TokenEndpoint={google.TokenEndpoint}",
            $"--Google:ClientId={google.ClientId}", $"--Google:ClientSecret={google.ClientSecret}", $"--Google:RefreshToken={google.RefreshToken}",
            $"--Google:OperatingAccountId={GoogleAccount}", $"--Google:ConversionActions:purchase={GooglePurchaseAction}",
            $"--TikTok:BaseAddress={tiktok.BaseAddress}", $"--TikTok:AccessToken={tiktok.AccessToken}",
            $"--TikTok:AdvertiserId={TikTokAdvertiser}", $"--TikTok:PixelCode={TikTokPixel}",
        ];

        // The program is the README's: it builds its host and runs it until stopped. The host is taken
        // from the hosting diagnostics (as WebApplicationFactory does) to drive and stop it.
        var built = new TaskCompletionSource<IHost>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = DiagnosticListener.AllListeners.Subscribe(new HostCapture(built));
        var context = new AssemblyLoadContext("readme-send-orders", isCollectible: true);
        try
        {
            image.Position = 0;
            var assembly = context.LoadFromStream(image);
            var entry = assembly.EntryPoint!;
            var program = Task.Run(() => entry.Invoke(null, [args]));
            var host = await built.Task.WaitAsync(TimeSpan.FromMinutes(2));
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            await WhenCancelled(lifetime.ApplicationStarted).WaitAsync(TimeSpan.FromMinutes(2));
            try
            {
                // The shop's customer gave consent at sign-up (including the separate consents to share with and send to platforms).
                var customer = CustomerId.New();
                var ledger = host.Services.GetRequiredService<ConsentLedger>();
                await ledger.RecordAsync(customer, [ConsentPurpose.AdMeasurement, ConsentPurpose.AdTargeting, ConsentPurpose.ThirdPartySharing, ConsentPurpose.CrossBorderTransfer],
                    granted: true, new ConsentCapture(ConsentSources.Web, "privacy-v1"));

                // The shop places an order: the README's OrderConversions, resolved from the README's registrations.
                var handlerType = assembly.GetType("OrderConversions", throwOnError: true)!;
                var orderType = assembly.GetType("PlacedOrder", throwOnError: true)!;
                var handler = host.Services.GetRequiredService(handlerType);
                var order = Activator.CreateInstance(orderType, "order-1001", DateTimeOffset.UtcNow.AddMinutes(-1), customer, new Money(129.90m, "USD"),
                    "ada@example.com", "+1 415 555 0100", "203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")!;
                var place = (Task)handlerType.GetMethod("OrderPlacedAsync")!.Invoke(handler, [order, CancellationToken.None])!;
                await place;

                // The delivery worker is the host's; one round per destination delivers what the outbox holds.
                var worker = host.Services.GetRequiredService<PlatformDeliveryWorker>();
                foreach (var destination in worker.Destinations)
                {
                    while ((await worker.DeliverOnceAsync(destination)).Claimed > 0)
                    {
                    }
                }
                var dead = new List<string>();
                await foreach (var entryRow in host.Services.GetRequiredService<Marketing.Sdk.Storage.IOutboxStore>().ReadAsync(Marketing.Sdk.Storage.OutboxState.DeadLettered))
                {
                    dead.Add($"{entryRow.Message.Destination}: {entryRow.LastError}");
                }
                Assert.True(dead.Count == 0, "dead-lettered: " + string.Join("; ", dead));
                Assert.Single(meta.AcceptedEvents);
                Assert.Single(google.AcceptedEvents);
                Assert.Single(tiktok.AcceptedEvents);
            }
            finally
            {
                await host.StopAsync();
                await program.WaitAsync(TimeSpan.FromMinutes(1));
            }
        }
        finally
        {
            context.Unload();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                directory.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    private static Task WhenCancelled(CancellationToken token)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => done.TrySetResult());
        return done.Task;
    }

    private sealed class HostCapture(TaskCompletionSource<IHost> built) : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>
    {
        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == "Microsoft.Extensions.Hosting")
            {
                listener.Subscribe(this);
            }
        }

        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (value.Key == "HostBuilt" && value.Value is IHost host)
            {
                built.TrySetResult(host);
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }
}
