using System.Globalization;

namespace DmVoice.Soak.Running;

/// <summary>The command line: what to run, for how long, with which seed, and where to write the report.</summary>
public sealed record SoakOptions
{
    public int Seed { get; init; } = 1;

    /// <summary>How long users and faults run (the quiet period and the checks come after).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    public string Delivery { get; init; } = "Direct";

    public int Users { get; init; } = 12;

    public bool Faults { get; init; } = true;

    /// <summary>Where the report goes: <c>&lt;out&gt;.md</c> and <c>&lt;out&gt;.json</c>.</summary>
    public string Out { get; init; } = "soak-report";

    public bool Help { get; init; }

    public const string Usage = """
        DmVoice fault soak: a real cluster (redis-server, two silos, two gateways behind a load balancer),
        simulated users and injected faults, both from one seed, then invariants checked over what every
        device saw and what the system says. Exits 0 when every invariant held, 1 on a violation, 2 when
        the run itself failed.

        Usage: dotnet run --project tests/DmVoice.Soak -- [options]

          --seed N          Seed of the users' intents and of the fault schedule (default 1)
          --duration T      How long load and faults run: 90, 90s, 15m or 00:15:00 (default 60s);
                            the quiet period and the checks add about a minute
          --delivery MODE   Cluster:EventDelivery, Direct or Streams (default Direct)
          --users N         Simulated users, 3 to 200 (default 12)
          --no-faults       Load only, no faults
          --out PATH        Report files: PATH.md and PATH.json (default soak-report)
          --help            This text

        Same seed and duration: the same fault schedule and the same intents of every user. A failure
        prints the command that replays it.
        """;

    public static SoakOptions Parse(IReadOnlyList<string> args)
    {
        var options = new SoakOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--seed" => options with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--duration" => options with { Duration = ParseDuration(Value()) },
                "--delivery" => options with { Delivery = ParseDelivery(Value()) },
                "--users" => options with { Users = Math.Clamp(int.Parse(Value(), CultureInfo.InvariantCulture), 3, 200) },
                "--no-faults" => options with { Faults = false },
                "--out" => options with { Out = Value() },
                "--help" or "-h" or "-?" => options with { Help = true },
                _ => throw new ArgumentException($"Unknown option {args[i]}; see --help."),
            };
        }

        return options;
    }

    /// <summary>The command that runs this very soak again.</summary>
    public string ReplayCommand =>
        $"dotnet run --project tests/DmVoice.Soak -- --seed {Seed} --duration {Duration.TotalSeconds:0}s --delivery {Delivery} --users {Users}" + (Faults ? string.Empty : " --no-faults");

    private static TimeSpan ParseDuration(string text)
    {
        if (TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out var exact) && text.Contains(':'))
        {
            return exact;
        }

        var unit = text[^1];
        var number = char.IsDigit(unit) ? text : text[..^1];
        var value = double.Parse(number, CultureInfo.InvariantCulture);
        return unit switch
        {
            'm' => TimeSpan.FromMinutes(value),
            'h' => TimeSpan.FromHours(value),
            _ => TimeSpan.FromSeconds(value),
        };
    }

    private static string ParseDelivery(string text) => text.ToLowerInvariant() switch
    {
        "direct" => "Direct",
        "streams" => "Streams",
        _ => throw new ArgumentException($"--delivery is Direct or Streams, not {text}."),
    };
}
