using System.Diagnostics;

namespace QuickStart.Tests;

/// <summary>The sample as a user runs it: its own process, stopped from outside.</summary>
public sealed class QuickStartProcessTests
{
    [PosixFact]
    public async Task A_termination_signal_stops_the_sample_while_its_emulators_are_running()
    {
        var directory = Path.Combine(Path.GetTempPath(), "quickstart-signal-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var sample = Path.Combine(AppContext.BaseDirectory, "QuickStart.dll");
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(sample);
            start.ArgumentList.Add("200");
            using var process = Process.Start(start)!;
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            try
            {
                // The first line is printed once the three emulators are listening and the shop is generated.
                var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
                Assert.StartsWith("Marketing.Sdk QuickStart", first);
                using (var signal = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                {
                    await signal.WaitForExitAsync();
                    Assert.Equal(0, signal.ExitCode);
                }
                using var stopped = new CancellationTokenSource(TimeSpan.FromMinutes(1));
                var rest = await process.StandardOutput.ReadToEndAsync(stopped.Token);
                await process.WaitForExitAsync(stopped.Token);
                // Stopped by the signal, not run to its end (the 200-customer run takes several seconds).
                Assert.DoesNotContain("Done in", rest, StringComparison.Ordinal);
                Assert.NotEqual(0, process.ExitCode);
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp file is harmless.
            }
        }
    }
}

/// <summary>A test that sends POSIX signals: skipped where there are none (Windows).</summary>
public sealed class PosixFactAttribute : FactAttribute
{
    public PosixFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Sends a POSIX signal.";
        }
    }
}
