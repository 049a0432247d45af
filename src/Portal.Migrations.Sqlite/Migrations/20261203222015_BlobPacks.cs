using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class BlobPacks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "PackDigest",
                table: "StoredBlobs",
                type: "TEXT",
                unicode: false,
                fixedLength: true,
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "PackOffset",
                table: "StoredBlobs",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "BlobPacks",
                columns: table => new
                {
                    Digest = table.Column<string>(type: "TEXT", unicode: false, fixedLength: true, maxLength: 64, nullable: false),
                    Size = table.Column<long>(type: "INTEGER", nullable: false),
                    BlobCount = table.Column<int>(type: "INTEGER", nullable: false),
                    BlobBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RetiredAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BlobPacks", x => x.Digest);
                });

            migrationBuilder.CreateIndex(
                name: "IX_StoredBlobs_PackDigest",
                table: "StoredBlobs",
                column: "PackDigest");

            migrationBuilder.CreateIndex(
                name: "IX_BlobPacks_RetiredAt",
                table: "BlobPacks",
                column: "RetiredAt");

            migrationBuilder.AddForeignKey(
                name: "FK_StoredBlobs_BlobPacks_PackDigest",
                table: "StoredBlobs",
                column: "PackDigest",
                principalTable: "BlobPacks",
                principalColumn: "Digest",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_StoredBlobs_BlobPacks_PackDigest",
                table: "StoredBlobs");

            migrationBuilder.DropTable(
                name: "BlobPacks");

            migrationBuilder.DropIndex(
                name: "IX_StoredBlobs_PackDigest",
                table: "StoredBlobs");

            migrationBuilder.DropColumn(
                name: "PackDigest",
                table: "StoredBlobs");

            migrationBuilder.DropColumn(
                name: "PackOffset",
                table: "StoredBlobs");
        }
    }
}
