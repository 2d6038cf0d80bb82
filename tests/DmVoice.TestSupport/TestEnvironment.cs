using Xunit;

namespace DmVoice.TestSupport;

/// <summary>
/// Tests that need an external program (redis-server, node) skip locally with a reason,
/// but fail in CI (CI=true) where the program must have been installed by .ci/run.
/// </summary>
public static class TestEnvironment
{
    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Returns the full path of <paramref name="program"/> on PATH, or null.</summary>
    public static string? FindOnPath(string program)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Skips (or, in CI, fails) the current test when <paramref name="available"/> is false.</summary>
    public static void Require(bool available, string whatIsMissing)
    {
        if (available)
        {
            return;
        }

        if (IsCi)
        {
            Assert.Fail($"{whatIsMissing} (required when CI=true; .ci/run installs it)");
        }

        Assert.Skip($"{whatIsMissing}; install it to run this test (it is mandatory in CI)");
    }

    /// <summary>Finds a program on PATH or skips/fails the test with a clear reason.</summary>
    public static string RequireProgram(string program)
    {
        var found = FindOnPath(program);
        Require(found is not null, $"'{program}' was not found on PATH");
        return found!;
    }

    /// <summary>A free TCP port on the loopback interface, reserved for this process (see <see cref="PortReservations"/>).</summary>
    public static int FreeTcpPort() => PortReservations.Reserve();
}
