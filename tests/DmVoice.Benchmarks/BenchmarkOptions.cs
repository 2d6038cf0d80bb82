using System.Globalization;

namespace DmVoice.Benchmarks;

/// <summary>Command-line options. Every option has a default; <c>--short</c> picks a CI-sized run.</summary>
public sealed class BenchmarkOptions
{
    public const string Usage = """
        DmVoice end-to-end benchmark (DmVoice vs. a minimal floor vs. the seed design, one process, loopback only).

        dotnet run -c Release --project tests/DmVoice.Benchmarks -- [options]

          --short                 CI smoke run: 50 calls, 3 s warm-up, 5 s load, 2 s light-load phase
          --calls N               concurrent calls in the load phase (default 1000)
          --duration S            seconds of the load phase per system (default 30)
          --light-calls N         concurrent calls in the light-load latency phase (default 20)
          --light-duration S      seconds of the light-load phase (default 10)
          --warmup S              seconds of unrecorded call cycles per system before the load phase (default 5; --short 3)
          --warmup-round S        before any measurement, run DmVoice unrecorded for S seconds so the tiered JIT has
                                  compiled the shared code and the first system measured is not penalised (default 10; --short 6; 0 = off)
          --think MS              pause between steps in the light-load phase (default 20)
          --updates N             voice-state updates per call cycle (default 2)
          --group-share F         share of calls in 3-member group DMs, the rest 1:1 (default 0.5)
          --targets LIST          comma-separated: floor,seed,dmvoice (default all three)
          --redis                 run DmVoice in Redis mode: private redis-server, a silo host and
                                  the gateway as a cluster client (Gateway:CoHostSilo=false)
          --set KEY=VALUE         DmVoice setting override, repeatable (e.g. Cluster:StreamPollingPeriod=00:00:00.100)
          --variant "NAME;K=V;.." an extra DmVoice run with these overrides, repeatable (reported as its own column)
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

    public int Updates { get; set; } = 2;

    public double GroupShare { get; set; } = 0.5;

    public bool ShortMode { get; set; }

    public bool Redis { get; set; }

    public List<string> Targets { get; } = [TargetNames.Floor, TargetNames.Seed, TargetNames.DmVoice];

    public Dictionary<string, string> Overrides { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<(string Name, Dictionary<string, string> Settings)> Variants { get; } = [];

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
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            switch (arg)
            {
                case "--short": o.ShortMode = true; break;
                case "--redis": o.Redis = true; break;
                case "--help" or "-h" or "-?": o.Help = true; break;
                case "--calls": o.Calls = PositiveInt(Next(), arg); explicitCalls = true; break;
                case "--duration": o.DurationSeconds = PositiveDouble(Next(), arg); explicitDuration = true; break;
                case "--light-calls": o.LightCalls = PositiveInt(Next(), arg); explicitLightCalls = true; break;
                case "--light-duration": o.LightDurationSeconds = PositiveDouble(Next(), arg); explicitLightDuration = true; break;
                case "--warmup": o.WarmupSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); explicitWarmup = true; break;
                case "--warmup-round": o.WarmupRoundSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); explicitWarmupRound = true; break;
                case "--think": o.ThinkMs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--updates": o.Updates = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--group-share": o.GroupShare = Math.Clamp(double.Parse(Next(), CultureInfo.InvariantCulture), 0, 1); break;
                case "--event-timeout": o.EventTimeoutSeconds = PositiveDouble(Next(), arg); break;
                case "--out": o.Out = Next(); break;
                case "--targets":
                    o.Targets.Clear();
                    foreach (var t in Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (t is not (TargetNames.Floor or TargetNames.Seed or TargetNames.DmVoice))
                        {
                            throw new ArgumentException($"Unknown target '{t}' (floor, seed, dmvoice)");
                        }

                        o.Targets.Add(t);
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
                default:
                    throw new ArgumentException($"Unknown option '{arg}' (see --help)");
            }
        }

        if (o.ShortMode)
        {
            o.Calls = explicitCalls ? o.Calls : 50;
            o.DurationSeconds = explicitDuration ? o.DurationSeconds : 5;
            o.LightCalls = explicitLightCalls ? o.LightCalls : 10;
            o.LightDurationSeconds = explicitLightDuration ? o.LightDurationSeconds : 2;
            o.WarmupSeconds = explicitWarmup ? o.WarmupSeconds : 3;
            o.WarmupRoundSeconds = explicitWarmupRound ? o.WarmupRoundSeconds : 6;
        }

        o.LightCalls = Math.Min(o.LightCalls, o.Calls);
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
}

public static class TargetNames
{
    public const string Floor = "floor";
    public const string Seed = "seed";
    public const string DmVoice = "dmvoice";
}
