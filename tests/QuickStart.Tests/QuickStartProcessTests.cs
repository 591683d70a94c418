using System.Diagnostics;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace QuickStart.Tests;

/// <summary>The sample as a user runs it: its own process, stopped from outside.</summary>
public sealed partial class QuickStartProcessTests
{
    private const int SigTerm = 15;
    private const int SigCont = 18;
    private const int SigStop = 19;
    private const nuint FionRead = 0x541B;

    /// <summary>
    /// Decided by state, not by timing: after its first line the sample is frozen (SIGSTOP), everything it
    /// wrote up to then is drained (the bytes the pipe holds, FIONREAD) and shows it had not finished; the
    /// termination signal is queued while it is frozen and delivered when it continues, so the signal
    /// provably reached a run in progress with its emulators listening.
    /// </summary>
    [LinuxFact]
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
                var stdout = process.StandardOutput.BaseStream;
                var written = new StringBuilder();
                // The first line is printed once the three emulators are listening and the shop is generated.
                var first = await ReadFirstLineAsync(stdout, written).WaitAsync(TimeSpan.FromMinutes(2));
                Assert.StartsWith("Marketing.Sdk QuickStart", first);

                Assert.Equal(0, Kill(process.Id, SigStop));
                await WaitUntilStoppedAsync(process.Id).WaitAsync(TimeSpan.FromMinutes(1));
                // Frozen: what the pipe holds now is everything the sample wrote before the freeze.
                var pending = Pending(stdout);
                var buffer = new byte[pending];
                await stdout.ReadExactlyAsync(buffer);
                written.Append(Encoding.UTF8.GetString(buffer));
                Assert.False(process.HasExited, "The sample exited before it could be signalled.");
                Assert.DoesNotContain("Done in", written.ToString(), StringComparison.Ordinal);

                Assert.Equal(0, Kill(process.Id, SigTerm));
                Assert.Equal(0, Kill(process.Id, SigCont));
                using var stopped = new CancellationTokenSource(TimeSpan.FromMinutes(1));
                using var reader = new StreamReader(stdout, Encoding.UTF8);
                var rest = await reader.ReadToEndAsync(stopped.Token);
                await process.WaitForExitAsync(stopped.Token);
                // Stopped by the signal, not run to its end.
                Assert.NotEqual(0, process.ExitCode);
                Assert.DoesNotContain("Done in", rest, StringComparison.Ordinal);
            }
            finally
            {
                if (!process.HasExited)
                {
                    Kill(process.Id, SigCont);
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

    /// <summary>Reads byte by byte up to the first line feed, so nothing after it is buffered here.</summary>
    private static async Task<string> ReadFirstLineAsync(Stream stream, StringBuilder written)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1)
        {
            if (one[0] == (byte)'\n')
            {
                var line = Encoding.UTF8.GetString(bytes.ToArray());
                written.AppendLine(line);
                return line.TrimEnd('\r');
            }
            bytes.Add(one[0]);
        }
        throw new EndOfStreamException("The sample closed its output before its first line.");
    }

    private static async Task WaitUntilStoppedAsync(int pid)
    {
        // /proc/<pid>/stat: "pid (comm) state ..."; 'T' once the stop signal has been taken.
        while (true)
        {
            var stat = await File.ReadAllTextAsync($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            if (state is 'T' or 't')
            {
                return;
            }
            await Task.Delay(1); // waiting for a state, not a verdict
        }
    }

    private static int Pending(Stream stream)
    {
        SafeHandle handle = stream switch
        {
            PipeStream pipe => pipe.SafePipeHandle,
            FileStream file => file.SafeFileHandle,
            _ => throw new InvalidOperationException("Unexpected stream type " + stream.GetType()),
        };
        var fd = (int)handle.DangerousGetHandle();
        Assert.Equal(0, Ioctl(fd, FionRead, out var count));
        return count;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request, out int count);
}

/// <summary>A test that freezes and signals a process through Linux's signal numbers and /proc: skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Sends Linux signals and reads /proc.";
        }
    }
}
