using System.Diagnostics;
using System.Globalization;

namespace RestaurantOs.Bench.Infrastructure;

/// <summary>
/// A server under test in its own process (this executable, <c>serve &lt;kind&gt;</c>), so its memory can be measured
/// alone and the load generator's allocations never count against it. It prints <c>READY &lt;url&gt;</c> once listening.
/// </summary>
internal sealed class ChildServer : IAsyncDisposable
{
    private readonly Process _process;

    private ChildServer(Process process, Uri baseUri)
    {
        _process = process;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public int ProcessId => _process.Id;

    /// <summary>CPU time (user + kernel) the server has used so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    public static async Task<ChildServer> StartAsync(string kind, CancellationToken cancellationToken)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The process path is unknown.");
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            // Started as "dotnet RestaurantOs.Bench.dll": start the child the same way.
            info.ArgumentList.Add(typeof(ChildServer).Assembly.Location);
        }

        info.ArgumentList.Add("serve");
        info.ArgumentList.Add(kind);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start the '{kind}' server.");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"The '{kind}' server exited before it was ready.");
                if (line.StartsWith("READY ", StringComparison.Ordinal))
                {
                    // Keep draining its output so it never blocks on a full pipe.
                    _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                    return new ChildServer(process, new Uri(line["READY ".Length..].Trim()));
                }
            }
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>The server's memory after a forced, compacting full GC (it does the GC itself).</summary>
    public async Task<ServerMemory> MemoryAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var text = await http.GetStringAsync(new Uri(BaseUri, "/bench/memory"), cancellationToken).ConfigureAwait(false);
        var values = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('='))
            .ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        return new ServerMemory(values["gc_heap"], values["working_set"], values["private"]);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
    }
}

internal readonly record struct ServerMemory(long GcHeapBytes, long WorkingSetBytes, long PrivateBytes);
