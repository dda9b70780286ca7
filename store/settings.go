package store

import (
	"context"
	"time"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm/clause"
)

// GetSetting returns an instance setting, or def when unset.
func (s *Store) GetSetting(ctx context.Context, key, def string) (string, error) {
	var st models.InstanceSetting
	err := s.conn(ctx).Where("key = ?", key).First(&st).Error
	if isNotFound(translate(err, "")) {
		return def, nil
	}
	if err != nil {
		return "", translate(err, "get setting "+key)
	}
	return st.Value, nil
}

// PutSetting sets an instance setting.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	st := models.InstanceSetting{Key: key, Value: value, UpdatedAt: time.Now().UTC()}
	err := s.conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"}),
	}).Create(&st).Error
	return translate(err, "put setting "+key)
}
