using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.SqlServer.Migrations
{
    /// <inheritdoc />
    public partial class EvaluationsAndEvaluationGate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "EvaluationMaxDrop",
                table: "PromotionPolicies",
                type: "float",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "EvaluationMetric",
                table: "PromotionPolicies",
                type: "nvarchar(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "EvaluationSet",
                table: "PromotionPolicies",
                type: "nvarchar(300)",
                maxLength: 300,
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "EvaluationThreshold",
                table: "PromotionPolicies",
                type: "float",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Evaluations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    ProjectId = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    Name = table.Column<string>(type: "nvarchar(128)", maxLength: 128, nullable: true),
                    SubjectArtifactId = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    SubjectVersionId = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    SubjectSpec = table.Column<string>(type: "nvarchar(300)", maxLength: 300, nullable: false),
                    EvalSetArtifactId = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    EvalSetVersionId = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    EvalSetSpec = table.Column<string>(type: "nvarchar(300)", maxLength: 300, nullable: false),
                    ExampleCount = table.Column<long>(type: "bigint", nullable: false),
                    LatencyP50Ms = table.Column<double>(type: "float", nullable: true),
                    LatencyP95Ms = table.Column<double>(type: "float", nullable: true),
                    TotalTokens = table.Column<long>(type: "bigint", nullable: false),
                    RowsDigest = table.Column<string>(type: "char(64)", unicode: false, fixedLength: true, maxLength: 64, nullable: false),
                    RowsSize = table.Column<long>(type: "bigint", nullable: false),
                    RunId = table.Column<Guid>(type: "uniqueidentifier", nullable: true),
                    CreatedById = table.Column<string>(type: "nvarchar(450)", maxLength: 450, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Evaluations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Evaluations_ArtifactVersions_EvalSetVersionId",
                        column: x => x.EvalSetVersionId,
                        principalTable: "ArtifactVersions",
                        principalColumn: "Id");
                    table.ForeignKey(
                        name: "FK_Evaluations_ArtifactVersions_SubjectVersionId",
                        column: x => x.SubjectVersionId,
                        principalTable: "ArtifactVersions",
                        principalColumn: "Id");
                    table.ForeignKey(
                        name: "FK_Evaluations_Projects_ProjectId",
                        column: x => x.ProjectId,
                        principalTable: "Projects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "EvaluationScores",
                columns: table => new
                {
                    EvaluationId = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    Scorer = table.Column<string>(type: "nvarchar(128)", maxLength: 128, nullable: false),
                    Ordinal = table.Column<int>(type: "int", nullable: false),
                    Count = table.Column<long>(type: "bigint", nullable: false),
                    Mean = table.Column<double>(type: "float", nullable: true),
                    Min = table.Column<double>(type: "float", nullable: true),
                    Max = table.Column<double>(type: "float", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EvaluationScores", x => new { x.EvaluationId, x.Scorer });
                    table.ForeignKey(
                        name: "FK_EvaluationScores_Evaluations_EvaluationId",
                        column: x => x.EvaluationId,
                        principalTable: "Evaluations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Evaluations_EvalSetVersionId",
                table: "Evaluations",
                column: "EvalSetVersionId");

            migrationBuilder.CreateIndex(
                name: "IX_Evaluations_ProjectId_CreatedAt",
                table: "Evaluations",
                columns: new[] { "ProjectId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Evaluations_RowsDigest",
                table: "Evaluations",
                column: "RowsDigest");

            migrationBuilder.CreateIndex(
                name: "IX_Evaluations_SubjectArtifactId_CreatedAt",
                table: "Evaluations",
                columns: new[] { "SubjectArtifactId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Evaluations_SubjectVersionId_EvalSetVersionId_CreatedAt",
                table: "Evaluations",
                columns: new[] { "SubjectVersionId", "EvalSetVersionId", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "EvaluationScores");

            migrationBuilder.DropTable(
                name: "Evaluations");

            migrationBuilder.DropColumn(
                name: "EvaluationMaxDrop",
                table: "PromotionPolicies");

            migrationBuilder.DropColumn(
                name: "EvaluationMetric",
                table: "PromotionPolicies");

            migrationBuilder.DropColumn(
                name: "EvaluationSet",
                table: "PromotionPolicies");

            migrationBuilder.DropColumn(
                name: "EvaluationThreshold",
                table: "PromotionPolicies");
        }
    }
}
