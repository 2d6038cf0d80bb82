using System.Globalization;

namespace DmVoice.Benchmarks;

/// <summary>Command-line options. Every option has a default; <c>--short</c> picks a CI-sized run.</summary>
public sealed class BenchmarkOptions
{
    public const string Usage = """
        DmVoice end-to-end benchmark: DmVoice in both event-delivery modes against a minimal floor, the
        seed design and the seed design behind a SignalR Redis backplane (one process, loopback only;
        --cluster adds DmVoice as separate silo and gateway processes).

        dotnet run -c Release --project tests/DmVoice.Benchmarks -- [options]

          --short                 CI smoke run: 50 calls, 1 s warm-up, 5 s load, 2 s light load, 1 s lease window per system
          --calls N               concurrent calls in the load phase (default 1000)
          --duration S            seconds of the load phase per system (default 30)
          --light-calls N         concurrent calls in the light-load latency phase (default 20)
          --light-duration S      seconds of the light-load phase (default 10)
          --warmup S              seconds of unrecorded call cycles per system before the load phase (default 5; --short 1)
          --process-warmup S      the same for a system whose servers are processes of their own (the cluster columns):
                                  fresh processes the warm-up round never reached, whose JIT is still busy well past 5 s
                                  (default 30; --short 1)
          --warmup-round S        before any measurement, run DmVoice unrecorded for S seconds so the tiered JIT has
                                  compiled the shared code and the first system measured is not penalised (default 10; --short 5; 0 = off)
          --think MS              pause between steps in the light-load phase (default 20)
          --updates N             voice-state updates per call cycle (default 2)
          --group-share F         share of calls in 3-member group DMs, the rest 1:1 (default 0.5)
          --targets LIST          comma-separated systems (default floor,seed,seed-backplane,dmvoice):
                                    floor, seed, seed-backplane,
                                    dmvoice        = dmvoice-direct + dmvoice-streams (embedded: gateway co-hosting its silo)
                                    dmvoice-redis  = dmvoice-redis-direct + dmvoice-redis-streams (Redis mode)
                                    seed-backplane-cluster, dmvoice-cluster, dmvoice-cluster-streams (see --cluster;
                                    dmvoice-cluster-all = those three)
                                    or any of those columns by name; none = no system (with --grain-memory)
          --redis                 add DmVoice in Redis mode (dmvoice-redis-direct, dmvoice-redis-streams: private
                                  redis-server, a silo host and the gateway as a cluster client) to the embedded columns
          --cluster               add the scaled-out columns: DmVoice as two silo and two gateway processes on a private
                                  redis-server (dmvoice-cluster: Direct, dmvoice-cluster-streams: Streams; their memory is
                                  n/a, their counters are read from the processes' /metrics), and its peer
                                  seed-backplane-cluster (two seed gateways in this process on one Redis backplane); users
                                  spread over both gateways so that half of the awaited events cross gateways. Not part of --short
          --set KEY=VALUE         DmVoice setting override for every DmVoice column, repeatable
                                  (e.g. Cluster:StreamPollingPeriod=00:00:00.100)
          --variant "NAME;K=V;.." an extra DmVoice column dmvoice-NAME with these overrides, repeatable; embedded and
                                  Cluster:EventDelivery=Direct unless it sets them (Cluster:Mode=Redis gets a private redis-server)
          --cluster-variant "NAME;K=V;env:VAR=V;.."
                                  an extra scaled-out column dmvoice-cluster-NAME (2 silo + 2 gateway processes) with these
                                  settings and environment variables, repeatable (e.g. env:DOTNET_gcServer=1)
          --built-apps            run the scaled-out and --idle-connections processes from the built (JIT-compiled) apps
                                  instead of publishing them first as deploy/docker does (Release, ReadyToRun)
          --lease-window S        seconds the connections are held open idle after setup, counting presence/lease
                                  messages (meter DmVoice.Gateway, dmvoice.gateway.presence.messages) per DmVoice
                                  column (default 15; --short 1; 0 = skip)
          --settle S              at most S seconds between the load and the light phase for the system to go quiet
                                  (all its processes under 5 % of all cores for 2 s; default 90, --short 5, 0 = none)
          --no-counters           do not listen to the servers' meters (per-stage counters are then n/a)
          --grain-memory          grain-level memory at scale: one in-process silo, no SignalR, 100,000 participants
                                  in 40,000 live calls, heap per participant; runs alone unless --targets is given too
          --participants N        participants in the --grain-memory run (default 100000; calls = 40 % of it)
          --grain-delivery LIST   delivery modes of the --grain-memory run (default direct,streams)
          --idle-connections [N]  gateway memory per idle connected user, in the gateway's own process: one silo and one
                                  gateway process (Redis mode), N SignalR clients (default 20000) held idle; runs alone
          --idle-hold S           seconds the --idle-connections clients are held idle before measuring (default 20)
          --event-timeout S       how long a step waits for its events before counting an error (default 10)
          --out PATH              JSON result (default artifacts/benchmarks/result.json; a .md table is written beside it)
          --help                  this text
        """;

    public int Calls { get; set; } = 1000;

    public double DurationSeconds { get; set; } = 30;

    public int LightCalls { get; set; } = 20;

    public double LightDurationSeconds { get; set; } = 10;

    public int ThinkMs { get; set; } = 20;

    public double WarmupSeconds { get; set; } = 5;

    public double WarmupRoundSeconds { get; set; } = 10;

    /// <summary>Warm-up of a system whose servers are separate, freshly started processes (see --process-warmup).</summary>
    public double ProcessWarmupSeconds { get; set; } = 30;

    public int Updates { get; set; } = 2;

    public double GroupShare { get; set; } = 0.5;

    public bool ShortMode { get; set; }

    public bool Redis { get; set; }

    public bool Cluster { get; set; }

    /// <summary>Columns to run, in order, after expanding the group names (dmvoice, dmvoice-redis) and --redis.</summary>
    public List<string> Targets { get; } = [TargetNames.Floor, TargetNames.Seed, TargetNames.SeedBackplane, TargetNames.DmVoiceDirect, TargetNames.DmVoiceStreams];

    public Dictionary<string, string> Overrides { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<(string Name, Dictionary<string, string> Settings)> Variants { get; } = [];

    /// <summary>
    /// <c>--cluster-variant "NAME;Key=Value;env:VAR=VALUE;..."</c>: an extra scaled-out column
    /// <c>dmvoice-cluster-NAME</c> (Direct unless it sets the delivery), its processes started with
    /// the given settings and environment variables on top of the others'.
    /// </summary>
    public List<(string Name, Dictionary<string, string> Settings, Dictionary<string, string> Environment)> ClusterVariants { get; } = [];

    /// <summary>
    /// Whether the silo and gateway processes run a ReadyToRun publish of the apps, as the deploy files'
    /// images do (the default), or the built, JIT-compiled ones (<c>--built-apps</c>: no publish step).
    /// </summary>
    public bool PublishApps { get; set; } = true;

    public double LeaseWindowSeconds { get; set; } = 15;

    /// <summary>
    /// Between the load and the light phase, at most this long is waited for the system to go quiet
    /// (every process it runs under 5 % of all cores for two seconds), so the light phase does not pay
    /// for work the load phase left behind (deferred writes, deactivations, reminder ticks).
    /// </summary>
    public double SettleSeconds { get; set; } = 90;

    public bool Counters { get; set; } = true;

    public bool GrainMemory { get; set; }

    public int Participants { get; set; } = 100_000;

    public List<string> GrainDelivery { get; } = [DeliveryModes.Direct, DeliveryModes.Streams];

    /// <summary>Connections of the <c>--idle-connections</c> mode; 0 = not asked for.</summary>
    public int IdleConnections { get; set; }

    public double IdleHoldSeconds { get; set; } = DmVoice.Benchmarks.IdleConnections.IdleConnectionsRun.DefaultHoldSeconds;

    public double EventTimeoutSeconds { get; set; } = 10;

    public string Out { get; set; } = Path.Combine("artifacts", "benchmarks", "result.json");

    public bool Help { get; set; }

    public string[] RawArgs { get; private set; } = [];

    public static BenchmarkOptions Parse(string[] args)
    {
        var o = new BenchmarkOptions { RawArgs = args };
        var explicitCalls = false;
        var explicitDuration = false;
        var explicitLightCalls = false;
        var explicitLightDuration = false;
        var explicitWarmup = false;
        var explicitWarmupRound = false;
        var explicitProcessWarmup = false;
        var explicitLeaseWindow = false;
        var explicitSettle = false;
        var explicitTargets = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            switch (arg)
            {
                case "--short": o.ShortMode = true; break;
                case "--redis": o.Redis = true; break;
                case "--cluster": o.Cluster = true; break;
                case "--help" or "-h" or "-?": o.Help = true; break;
                case "--calls": o.Calls = PositiveInt(Next(), arg); explicitCalls = true; break;
                case "--duration": o.DurationSeconds = PositiveDouble(Next(), arg); explicitDuration = true; break;
                case "--light-calls": o.LightCalls = PositiveInt(Next(), arg); explicitLightCalls = true; break;
                case "--light-duration": o.LightDurationSeconds = PositiveDouble(Next(), arg); explicitLightDuration = true; break;
                case "--warmup": o.WarmupSeconds = NonNegativeDouble(Next(), arg); explicitWarmup = true; break;
                case "--warmup-round": o.WarmupRoundSeconds = NonNegativeDouble(Next(), arg); explicitWarmupRound = true; break;
                case "--process-warmup": o.ProcessWarmupSeconds = NonNegativeDouble(Next(), arg); explicitProcessWarmup = true; break;
                case "--think": o.ThinkMs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--updates": o.Updates = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--group-share": o.GroupShare = Math.Clamp(double.Parse(Next(), CultureInfo.InvariantCulture), 0, 1); break;
                case "--event-timeout": o.EventTimeoutSeconds = PositiveDouble(Next(), arg); break;
                case "--lease-window": o.LeaseWindowSeconds = NonNegativeDouble(Next(), arg); explicitLeaseWindow = true; break;
                case "--settle": o.SettleSeconds = NonNegativeDouble(Next(), arg); explicitSettle = true; break;
                case "--no-counters": o.Counters = false; break;
                case "--built-apps": o.PublishApps = false; break;
                case "--grain-memory": o.GrainMemory = true; break;
                case "--participants": o.Participants = PositiveInt(Next(), arg); break;
                case "--grain-delivery":
                    o.GrainDelivery.Clear();
                    foreach (var mode in Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        o.GrainDelivery.Add(DeliveryModes.Parse(mode));
                    }

                    break;
                case "--idle-connections":
                    o.IdleConnections = i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out _)
                        ? PositiveInt(Next(), arg)
                        : DmVoice.Benchmarks.IdleConnections.IdleConnectionsRun.DefaultConnections;
                    break;
                case "--idle-hold": o.IdleHoldSeconds = PositiveDouble(Next(), arg); break;
                case "--out": o.Out = Next(); break;
                case "--targets":
                    o.Targets.Clear();
                    explicitTargets = true;
                    foreach (var t in Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        foreach (var column in TargetNames.Expand(t))
                        {
                            if (!o.Targets.Contains(column))
                            {
                                o.Targets.Add(column);
                            }
                        }
                    }

                    break;
                case "--set":
                    var (key, value) = KeyValue(Next());
                    o.Overrides[key] = value;
                    break;
                case "--variant":
                    var parts = Next().Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (parts.Length == 0)
                    {
                        throw new ArgumentException("--variant needs \"NAME;Key=Value;...\"");
                    }

                    var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    foreach (var part in parts.Skip(1))
                    {
                        var (k, v) = KeyValue(part);
                        settings[k] = v;
                    }

                    o.Variants.Add(("dmvoice-" + parts[0], settings));
                    break;
                case "--cluster-variant":
                    var clusterParts = Next().Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (clusterParts.Length == 0)
                    {
                        throw new ArgumentException("--cluster-variant needs \"NAME;Key=Value;env:VAR=VALUE;...\"");
                    }

                    var clusterSettings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    var environment = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var part in clusterParts.Skip(1))
                    {
                        if (part.StartsWith("env:", StringComparison.OrdinalIgnoreCase))
                        {
                            var (variable, variableValue) = KeyValue(part["env:".Length..]);
                            environment[variable] = variableValue;
                        }
                        else
                        {
                            var (k, v) = KeyValue(part);
                            clusterSettings[k] = v;
                        }
                    }

                    o.ClusterVariants.Add((TargetNames.DmVoiceCluster + "-" + clusterParts[0], clusterSettings, environment));
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{arg}' (see --help)");
            }
        }

        if (o.GrainMemory && !explicitTargets)
        {
            // A separate mode: the grain-level run alone, unless systems were asked for as well.
            o.Targets.Clear();
        }

        if (o.Redis)
        {
            foreach (var column in TargetNames.Expand(TargetNames.DmVoiceRedis))
            {
                if (!o.Targets.Contains(column))
                {
                    o.Targets.Add(column);
                }
            }
        }

        if (o.Cluster)
        {
            foreach (var column in TargetNames.Expand(TargetNames.DmVoiceClusterGroup))
            {
                if (!o.Targets.Contains(column))
                {
                    o.Targets.Add(column);
                }
            }
        }

        if (o.ShortMode)
        {
            o.Calls = explicitCalls ? o.Calls : 50;
            o.DurationSeconds = explicitDuration ? o.DurationSeconds : 5;
            o.LightCalls = explicitLightCalls ? o.LightCalls : 10;
            o.LightDurationSeconds = explicitLightDuration ? o.LightDurationSeconds : 2;
            o.WarmupSeconds = explicitWarmup ? o.WarmupSeconds : 1;
            o.WarmupRoundSeconds = explicitWarmupRound ? o.WarmupRoundSeconds : 5;
            o.ProcessWarmupSeconds = explicitProcessWarmup ? o.ProcessWarmupSeconds : 1;
            o.LeaseWindowSeconds = explicitLeaseWindow ? o.LeaseWindowSeconds : 1;
            o.SettleSeconds = explicitSettle ? o.SettleSeconds : 5;
        }

        o.LightCalls = Math.Min(o.LightCalls, o.Calls);
        if (o.GrainMemory)
        {
            DmVoice.Benchmarks.GrainMemory.GrainMemoryRun.Layout(o.Participants); // throws ArgumentException for counts that cannot be split
        }

        return o;
    }

    private static (string Key, string Value) KeyValue(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new ArgumentException($"Expected Key=Value, got '{text}'");
        }

        return (text[..eq].Trim(), text[(eq + 1)..].Trim());
    }

    private static int PositiveInt(string text, string option)
    {
        var value = int.Parse(text, CultureInfo.InvariantCulture);
        return value > 0 ? value : throw new ArgumentException($"{option} must be positive");
    }

    private static double PositiveDouble(string text, string option)
    {
        var value = double.Parse(text, CultureInfo.InvariantCulture);
        return value > 0 ? value : throw new ArgumentException($"{option} must be positive");
    }

    private static double NonNegativeDouble(string text, string option)
    {
        var value = double.Parse(text, CultureInfo.InvariantCulture);
        return value >= 0 ? value : throw new ArgumentException($"{option} must not be negative");
    }
}

/// <summary>The columns of a run. DmVoice columns are named dmvoice-[redis-]direct|streams, variants dmvoice-NAME.</summary>
public static class TargetNames
{
    public const string Floor = "floor";
    public const string Seed = "seed";
    public const string SeedBackplane = "seed-backplane";

    /// <summary>The seed with the backplane behind two gateways, users spread like dmvoice-cluster (see <c>--cluster</c>).</summary>
    public const string SeedBackplaneCluster = "seed-backplane-cluster";
    public const string DmVoice = "dmvoice";
    public const string DmVoiceDirect = "dmvoice-direct";
    public const string DmVoiceStreams = "dmvoice-streams";
    public const string DmVoiceRedis = "dmvoice-redis";
    public const string DmVoiceRedisDirect = "dmvoice-redis-direct";
    public const string DmVoiceRedisStreams = "dmvoice-redis-streams";
    public const string None = "none";

    /// <summary>Two silo and two gateway processes, Direct delivery (see <c>--cluster</c>).</summary>
    public const string DmVoiceCluster = "dmvoice-cluster";
    public const string DmVoiceClusterStreams = "dmvoice-cluster-streams";

    /// <summary>Not a column: what <c>--cluster</c> adds.</summary>
    public const string DmVoiceClusterGroup = "dmvoice-cluster-all";

    /// <summary>The systems every DmVoice column is compared with.</summary>
    public static readonly string[] Baselines = [Floor, Seed, SeedBackplane, SeedBackplaneCluster];

    public static bool IsDmVoice(string name) => name.StartsWith(DmVoice + "-", StringComparison.Ordinal);

    /// <summary>The scaled-out columns: dmvoice-cluster, dmvoice-cluster-streams and every --cluster-variant.</summary>
    public static bool IsCluster(string name) => name == DmVoiceCluster || name.StartsWith(DmVoiceCluster + "-", StringComparison.Ordinal);

    public static IEnumerable<string> Expand(string target) => target switch
    {
        Floor or Seed or SeedBackplane or DmVoiceDirect or DmVoiceStreams or DmVoiceRedisDirect or DmVoiceRedisStreams or DmVoiceCluster or DmVoiceClusterStreams or SeedBackplaneCluster => [target],
        DmVoiceClusterGroup => [SeedBackplaneCluster, DmVoiceCluster, DmVoiceClusterStreams],
        DmVoice => [DmVoiceDirect, DmVoiceStreams],
        DmVoiceRedis => [DmVoiceRedisDirect, DmVoiceRedisStreams],
        None => [],
        _ => throw new ArgumentException(
            $"Unknown target '{target}' (floor, seed, seed-backplane, dmvoice, dmvoice-direct, dmvoice-streams, dmvoice-redis, dmvoice-redis-direct, dmvoice-redis-streams, seed-backplane-cluster, dmvoice-cluster, dmvoice-cluster-streams, dmvoice-cluster-all, none)"),
    };
}

/// <summary>Values of DmVoice's <c>Cluster:EventDelivery</c> setting.</summary>
public static class DeliveryModes
{
    public const string Setting = "Cluster:EventDelivery";
    public const string Direct = "Direct";
    public const string Streams = "Streams";

    public static string Parse(string text) => text.ToLowerInvariant() switch
    {
        "direct" => Direct,
        "streams" => Streams,
        _ => throw new ArgumentException($"Unknown delivery mode '{text}' (direct, streams)"),
    };
}
