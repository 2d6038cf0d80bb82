using System.Net;
using DmVoice.Grains.Hosting;
using DmVoice.TestSupport.Processes;

namespace DmVoice.Gateway.Tests.Cluster;

/// <summary>The process harness itself does what the failure and restart tests rely on.</summary>
[Collection(ProcessCollection.Name)]
public sealed class ProcessHarnessTests
{
    [Fact]
    public async Task Waiting_for_a_process_that_exits_before_it_is_ready_fails_at_once_with_its_last_output_and_its_log()
    {
        await using var cluster = await ProcessCluster.StartAsync("harness-exit", redis: false);
        var host = cluster.Hosts.Host(2);
        var silo = cluster.AddSilo("silo", host, cluster.SiloPorts(host), s => s["Cluster:SiloPort"] = "0");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => silo.StartAsync());
        Assert.Contains("silo exited with code", error.Message, StringComparison.Ordinal);
        Assert.Contains("Cluster:SiloPort must be 1-65535", error.Message, StringComparison.Ordinal);
        Assert.Contains(silo.LogPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("Cluster:SiloPort must be 1-65535", await File.ReadAllTextAsync(silo.LogPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_paused_silo_answers_nothing_until_it_is_resumed_and_a_stopped_one_starts_again_on_the_same_ports()
    {
        await using var cluster = await ProcessCluster.StartAsync("harness-signals", redis: false);
        var host = cluster.Hosts.Host(2);
        var silo = cluster.AddSilo("silo", host, cluster.SiloPorts(host));
        await silo.StartAsync();
        var firstProcess = silo.ProcessId;

        await silo.PauseAsync();
        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => silo.GetAsync(SiloManagementOptions.LivePath));
        await silo.ResumeAsync();
        using (var live = await silo.GetAsync(SiloManagementOptions.LivePath))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        Assert.Equal(0, await silo.StopAsync());
        Assert.False(silo.IsRunning);
        await silo.StartAsync();
        Assert.NotEqual(firstProcess, silo.ProcessId);
        using var ready = await silo.GetAsync(SiloManagementOptions.ReadyPath);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        var log = silo.Output();
        Assert.Contains("start #1", log, StringComparison.Ordinal);
        Assert.Contains("SIGSTOP", log, StringComparison.Ordinal);
        Assert.Contains("SIGTERM", log, StringComparison.Ordinal);
        Assert.Contains("start #2", log, StringComparison.Ordinal);
    }
}
