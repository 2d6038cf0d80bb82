using System.Diagnostics;
using DmVoice.Soak.Load;
using DmVoice.Soak.Running;
using DmVoice.TestSupport.Processes;

namespace DmVoice.Soak.Faults;

/// <summary>Carries out the fault schedule against the cluster, one fault at a time, each undone before the next.</summary>
public sealed class FaultInjector(SoakCluster cluster, IReadOnlyList<SimUser> users, Journal journal)
{
    /// <summary>The fault under way, for the progress line.</summary>
    public string? Current { get; private set; }

    public async Task RunAsync(IReadOnlyList<PlannedFault> plan, Stopwatch sinceStart, CancellationToken stop)
    {
        foreach (var fault in plan)
        {
            var wait = fault.At - sinceStart.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            if (stop.IsCancellationRequested)
            {
                return;
            }

            await InjectAsync(fault);
        }
    }

    private async Task InjectAsync(PlannedFault fault)
    {
        var at = DateTimeOffset.UtcNow;
        var target = "?";
        string? error = null;
        try
        {
            target = await InjectAndUndoAsync(fault, t => Current = $"{fault.Kind} {t}");
        }
        catch (Exception ex)
        {
            // A fault that could not be carried out is recorded, not fatal: HealAsync puts the cluster right at the end.
            error = ex.Message.Split('\n')[0];
        }
        finally
        {
            Current = null;
        }

        journal.Add(new FaultRecord(at, fault.Kind.ToString(), target, fault.Length.TotalSeconds, error));
    }

    private async Task<string> InjectAndUndoAsync(PlannedFault fault, Action<string> started)
    {
        var redis = cluster.Cluster.Redis!;
        switch (fault.Kind)
        {
            case FaultKind.SiloKill:
            case FaultKind.GatewayKill:
            {
                var pool = fault.Kind == FaultKind.SiloKill ? cluster.Silos : cluster.Gateways;
                var process = pool[fault.Target % pool.Count];
                started(process.Name);
                await process.KillAsync();
                await Task.Delay(fault.Length);
                await process.StartAsync();
                return process.Name;
            }

            case FaultKind.ProcessPause:
            {
                IReadOnlyList<DmVoiceProcess> pool = [.. cluster.Silos, .. cluster.Gateways];
                var process = pool[fault.Target % pool.Count];
                started(process.Name);
                await process.PauseAsync();
                try
                {
                    await Task.Delay(fault.Length);
                }
                finally
                {
                    await process.ResumeAsync();
                }

                return process.Name;
            }

            case FaultKind.RedisWritePause:
                started("redis");
                await redis.PauseWritesAsync(fault.Length);
                await Task.Delay(fault.Length);
                return "redis";

            case FaultKind.RedisFreeze:
                started("redis");
                await redis.FreezeAsync();
                try
                {
                    await Task.Delay(fault.Length);
                }
                finally
                {
                    await redis.ThawAsync();
                }

                return "redis";

            case FaultKind.RedisRestart:
                started("redis");
                await redis.KillAsync();
                await Task.Delay(fault.Length);
                await redis.RestartAsync();
                return "redis";

            case FaultKind.ClientStall:
            {
                var devices = users.SelectMany(u => u.Devices).OrderBy(d => d.DeviceId, StringComparer.Ordinal).ToList();
                if (devices.Count == 0)
                {
                    return "no device";
                }

                var device = devices[fault.Target % devices.Count];
                started(device.DeviceId);
                await device.StallAsync(fault.Length);
                return device.DeviceId;
            }

            default:
                throw new InvalidOperationException($"Unknown fault {fault.Kind}");
        }
    }
}
