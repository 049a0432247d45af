using Portal.Client.Models;
using Portal.Core.Features.Validation;

namespace Portal.Core.Tests.Features.Validation;

public sealed class DriftTests
{
    private static DataProfile Sample(int seed, int rows, double meanLength, double[] labelShares)
    {
        var random = new Random(seed);
        var profile = new DataProfile { TextField = "text", LabelField = "label" };
        for (var i = 0; i < rows; i++)
        {
            // Log-normal text lengths around the mean.
            var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            profile.AddText((int)Math.Max(1, meanLength * Math.Exp(0.5 * normal)));
            var u = random.NextDouble();
            var label = 0;
            while (label < labelShares.Length - 1 && u > labelShares[label])
            {
                u -= labelShares[label];
                label++;
            }

            profile.AddLabel("class-" + label);
        }

        return profile;
    }

    [Fact]
    public void A_resample_of_the_same_distribution_is_stable()
    {
        var a = Sample(1, 20000, 200, [0.5, 0.3, 0.2]);
        var b = Sample(2, 20000, 200, [0.5, 0.3, 0.2]);
        var rows = Drift.Compare(a, b, new ValidationRules());
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal("stable", r.Status));
        Assert.All(rows, r => Assert.True(r.Psi < 0.02, $"{r.Metric} PSI {r.Psi}"));
    }

    [Fact]
    public void Shifted_lengths_and_labels_are_drift()
    {
        var a = Sample(1, 20000, 200, [0.5, 0.3, 0.2]);
        var longer = Sample(3, 20000, 400, [0.5, 0.3, 0.2]);
        var relabelled = Sample(4, 20000, 200, [0.2, 0.3, 0.5]);
        var lengthRow = Drift.Compare(a, longer, new ValidationRules()).Single(r => r.Metric == Drift.TextLength);
        Assert.Equal("drift", lengthRow.Status);
        var labelRow = Drift.Compare(a, relabelled, new ValidationRules()).Single(r => r.Metric == Drift.Labels);
        Assert.Equal("drift", labelRow.Status);
        Assert.True(labelRow.Psi > 0.25, $"PSI {labelRow.Psi}");
    }
}
